"""The Import CSV page's templates and preview (issue #17, point 19): a template per kind, from the
import's own contract, and upload → preview (first rows, column mapping) → Queue import."""

import csv
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from factories import ItemFactory

from inventory.models import ImportJob, InventoryTransaction
from inventory.services import import_preview, imports
from inventory.services.import_jobs import import_job_run
from ledger.models import MainAccount

HEADER = ",".join(imports.TRANSACTION_COLUMNS)


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    return settings.FILES_DIR


def file(content: str | bytes, name: str = "march.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, content_type="text/csv")


def preview(client, content, kind="transactions", **extra):
    return client.post(reverse("inventory:import"), {"kind": kind, "step": "preview", "file": file(content), **extra})


@pytest.mark.parametrize(("kind", "known"), [("transactions", imports.TRANSACTION_COLUMNS),
                                             ("items", imports.ITEM_COLUMNS),
                                             ("opening", imports.OPENING_COLUMNS)])
def test_it_offers_a_template_of_each_kind_with_the_contract_columns(carl_client, ada_client, company, kind, known):
    page = carl_client.get(reverse("inventory:import")).content.decode()
    url = reverse("inventory:import_template", args=[kind])
    assert f'href="{url}"' in page

    response = ada_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="costbook-{kind}-template.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [known]


def test_it_answers_an_unknown_template_kind_with_a_404_not_a_500(carl_client, company):
    response = carl_client.get(reverse("inventory:import_template", args=["nonsense"]))
    assert response.status_code == 404
    assert "Unknown kind 'nonsense'" in response.content.decode()


def test_it_previews_the_first_rows_and_the_mapping_and_queues_only_when_asked(carl_client, carl_clerk, company,
                                                                               files_dir):
    ItemFactory(number="WIDGET", model_group="FIFO")
    # Columns in another order, optional ones left out.
    body = "date,ref,item,qty,unit_cost,update\n" + "".join(
        f"2026-03-0{n},R{n},WIDGET,{n},10.00,financial\n" for n in range(1, 4))

    response = preview(carl_client, body)

    assert response.status_code == 200
    assert ImportJob.objects.count() == 0  # nothing queued by a preview
    html = response.content.decode().replace("\n", "")
    assert "Preview: Inventory transactions from march.csv" in html
    assert 'data-status="required"><td><code>date</code></td><td aria-hidden="true">→</td><td><code>date</code>' in html
    assert 'data-status="absent"><td><span class="muted">not in the file</span></td><td aria-hidden="true">→</td><td><code>site</code>' in html
    assert '<tr><td class="num">2</td><td>2026-03-01</td><td>R1</td><td>WIDGET</td><td>1</td><td>10.00</td><td>financial</td></tr>' in html
    assert '<td class="num">4</td><td>2026-03-03</td><td>R3</td>' in html
    assert "Queue import" in html
    token = response.context["preview"].token
    assert (files_dir / "imports" / "preview" / f"{token}.csv").exists()

    queued = carl_client.post(reverse("inventory:import"), {"kind": "transactions", "step": "queue", "token": token})

    job = ImportJob.objects.get()
    assert (queued.status_code, queued["Location"]) == (302, job.get_absolute_url())
    assert (job.file_name, job.kind, job.created_by) == ("march.csv", "transactions", carl_clerk)
    assert not (files_dir / "imports" / "preview" / f"{token}.csv").exists()
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.rows_posted) == ("succeeded", 3)
    assert InventoryTransaction.objects.filter(ref__in=["R1", "R2", "R3"]).count() == 3
    again = carl_client.post(reverse("inventory:import"), {"kind": "transactions", "step": "queue", "token": token})
    assert ImportJob.objects.count() == 1
    assert "The previewed file is no longer kept" in again.content.decode()


def test_it_flags_unknown_and_missing_columns_and_offers_no_queue_button(carl_client, company):
    response = preview(carl_client, "Ref,date,item,quantity,unit_cost,update\nR1,2026-03-01,WIDGET,1,10,financial\n")

    html = response.content.decode().replace("\n", "")
    assert response.status_code == 200
    assert "Ref is not a column of this kind: the import refuses the file; did you mean ref? (names are case-sensitive)" in html
    assert "quantity is not a column of this kind" in html
    assert "the required column qty is missing: the import refuses the file" in html
    assert 'data-status="unknown"' in html and 'data-status="missing"' in html
    assert "Queue import" not in html
    assert ImportJob.objects.count() == 0


def test_it_names_the_line_and_byte_of_a_file_that_is_not_utf8(carl_client, company):
    response = preview(carl_client, f"{HEADER}\nR1,2026-03-01,CAF\xe9,1,10,financial,,,,\n".encode("latin-1"))

    html = response.content.decode()
    assert "Line 2: the file is not UTF-8: byte 0xe9" in html
    assert "Queue import" not in html


def test_it_keeps_the_size_cap_on_a_preview(carl_client, company, settings):
    settings.IMPORT_MAX_BYTES = 20

    response = preview(carl_client, f"{HEADER}\nR1,2026-03-01,WIDGET,1,10,financial,,,,\n")

    assert response.status_code == 413
    assert "uploads are limited to 20 bytes" in response.content.decode()


def test_it_keeps_the_typed_options_and_shows_each_error_next_to_its_field(ada_client, company):
    account = MainAccount.objects.filter(is_active=True).first()
    response = ada_client.post(reverse("inventory:import"), {
        "kind": "opening", "step": "preview", "offset_account": account.pk, "post": "on",
        "file": file("item,qty,unit_cost\nWIDGET,1,10\n")})

    html = response.content.decode()
    assert response.status_code == 200
    assert ('<ul class="errorlist field-errors" id="id_date-errors"><li>Opening entries need the date they are '
            'posted on.</li></ul>') in html
    assert f'<option value="{account.pk}" selected>' in html
    assert '<option value="opening" selected>' in html
    assert 'name="post" id="id_post" checked' in html


def test_it_carries_the_opening_options_to_the_queued_job(ada_client, company):
    account = MainAccount.objects.filter(is_active=True).first()
    shown = ada_client.post(reverse("inventory:import"), {
        "kind": "opening", "step": "preview", "date": "2026-01-01", "offset_account": account.pk,
        "file": file("item,qty,unit_cost\nWIDGET,1,10\n")})
    html = shown.content.decode()
    assert '<input type="hidden" name="date" value="2026-01-01">' in html
    assert f'<input type="hidden" name="offset_account" value="{account.pk}">' in html

    ada_client.post(reverse("inventory:import"), {"kind": "opening", "step": "queue", "date": "2026-01-01",
                                                  "offset_account": account.pk, "token": shown.context["preview"].token})

    assert ImportJob.objects.get().options == {"date": "2026-01-01", "offset_account": account.number,
                                               "description": "", "post": False}


def test_it_refuses_to_queue_a_preview_as_another_kind(ada_client, company):
    shown = preview(ada_client, f"{HEADER}\n")
    refused = ada_client.post(reverse("inventory:import"), {"kind": "items", "step": "queue",
                                                            "token": shown.context["preview"].token})
    assert "The file was previewed as Inventory transactions: preview it again as Items." in refused.content.decode()
    assert ImportJob.objects.count() == 0


def test_it_does_not_queue_another_sessions_preview(carl_client, ada_client, company):
    token = preview(carl_client, f"{HEADER}\n").context["preview"].token
    refused = ada_client.post(reverse("inventory:import"), {"kind": "transactions", "step": "queue", "token": token})
    assert "The previewed file is no longer kept" in refused.content.decode()
    assert ImportJob.objects.count() == 0


def test_it_removes_previews_past_their_keeping_time(files_dir):
    folder = files_dir / "imports" / "preview"
    folder.mkdir(parents=True)
    old, fresh = folder / ("a" * 32 + ".csv"), folder / ("b" * 32 + ".csv")
    old.write_text("x")
    fresh.write_text("x")
    long_ago = time.time() - import_preview.PREVIEW_KEPT_SECONDS - 60
    os.utime(old, (long_ago, long_ago))

    assert import_preview.import_previews_expire() == 1
    assert (old.exists(), fresh.exists()) == (False, True)
