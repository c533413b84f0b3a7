"""The Import CSV page (issue #17, point 19): a template per kind, then upload → preview → queue.

The page's button previews the file (its first rows and the mapping of its columns onto the
contract, inventory.services.import_preview); the preview's "Queue import" button queues the stored
upload as an import job. A POST with the file and no `step` queues it at once, as before (scripts).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.errors import DomainError
from config.permissions import require_permission
from inventory import selectors
from inventory.forms import ImportForm
from inventory.models import ImportJob
from inventory.services import import_jobs, import_preview

UPLOAD_ENVELOPE_BYTES = 64 * 1024  # the multipart envelope and the other fields add a little to the file
SESSION_KEY = "import_previews"
PREVIEW = "preview"
QUEUE = "queue"


def _page(request: HttpRequest, form: ImportForm, status: int = 200, **extra) -> HttpResponse:
    context = {"form": form, "recent": selectors.import_jobs_of(user=request.user)[:10],
               "kinds": [(kind, label, *import_preview.CONTRACTS[kind]) for kind, label in ImportJob.Kind.choices],
               **extra}
    return render(request, "inventory/import.html", context, status=status)


@require_permission(import_jobs.ADD_TRANSACTION)
def import_upload(request: HttpRequest) -> HttpResponse:
    """The Import CSV page. An upload above IMPORT_MAX_BYTES is refused before its body is read."""
    if request.method != "POST":
        return _page(request, ImportForm())
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    refusal = import_jobs.import_size_refusal(declared - UPLOAD_ENVELOPE_BYTES)
    if refusal:
        return _page(request, ImportForm(), status=413, refusal=refusal)
    step = request.POST.get("step", "")
    form = ImportForm(request.POST, request.FILES)
    if step == QUEUE:
        form.fields["file"].required = False  # the previewed upload is kept on the server
    if not form.is_valid():
        return _page(request, form)
    data = form.cleaned_data
    if not request.user.has_perms(import_jobs.import_permissions(kind=data["kind"], post=data["post"])):
        return render(request, "403.html", status=403)
    try:
        if step == PREVIEW:
            return _preview(request, form)
        if step == QUEUE:
            return _queue_previewed(request, form)
        job = import_jobs.import_job_create(
            kind=data["kind"], uploaded_file=data["file"], user=request.user,
            posting_date=data.get("date"), offset_account=data.get("offset_account"), post=data["post"])
    except import_jobs.ImportTooLarge as error:
        form.add_error("file", error.message)
        return _page(request, form, status=413)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, form)
    return redirect(job)


def _preview(request: HttpRequest, form: ImportForm) -> HttpResponse:
    data = form.cleaned_data
    preview = import_preview.import_preview_store(kind=data["kind"], uploaded_file=data["file"])
    previews = request.session.get(SESSION_KEY, {})
    previews[preview.token] = {"kind": preview.kind, "name": preview.file_name}
    request.session[SESSION_KEY] = dict(list(previews.items())[-10:])  # the latest few previews of this session
    return render(request, "inventory/import_preview.html", {
        "form": form, "preview": preview, "kind_label": ImportJob.Kind(preview.kind).label,
        "contract": import_preview.CONTRACTS[preview.kind]})


def _queue_previewed(request: HttpRequest, form: ImportForm) -> HttpResponse:
    data = form.cleaned_data
    token = request.POST.get("token", "")
    kept = request.session.get(SESSION_KEY, {}).get(token)
    if kept is None:
        raise DomainError("The previewed file is no longer kept: choose the file and preview it again.", field="file")
    if kept["kind"] != data["kind"]:
        raise DomainError(f"The file was previewed as {ImportJob.Kind(kept['kind']).label}: preview it again as "
                          f"{ImportJob.Kind(data['kind']).label}.", field="kind")
    upload = import_preview.import_preview_file(token=token, file_name=kept["name"])
    try:
        job = import_jobs.import_job_create(
            kind=data["kind"], uploaded_file=upload, user=request.user,
            posting_date=data.get("date"), offset_account=data.get("offset_account"), post=data["post"])
    finally:
        upload.close()
    import_preview.import_preview_discard(token=token)
    previews = request.session.get(SESSION_KEY, {})
    previews.pop(token, None)
    request.session[SESSION_KEY] = previews
    return redirect(job)


@require_permission(import_jobs.ADD_TRANSACTION)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The template of a kind: the header row of its contract."""
    try:
        name = import_preview.import_template_name(kind)
    except DomainError as error:
        return HttpResponse(error.message, status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(import_preview.import_template_csv(kind=kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
