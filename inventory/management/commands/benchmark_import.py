import json
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.core.files import File
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from inventory.models import ImportJob, InventoryTransaction, Item
from inventory.services.company import company_bootstrap
from inventory.services.import_jobs import import_job_create, import_job_run
from inventory.services.imports import transactions_import_file

# The baseline: the same file loaded by PostgreSQL's COPY into an unlogged table with the columns'
# types, no constraints, no indexes. Posting costs a multiple of this (docs/benchmarks.md).
COPY_TABLE = """
CREATE UNLOGGED TABLE benchmark_import_copy (
    ref varchar(60), date date, item varchar(40), qty numeric, unit_cost numeric, update varchar(10),
    site varchar(20), warehouse varchar(20), marking varchar(60))
"""


class Command(BaseCommand):
    help = ("Benchmark import_transactions: generate a realistic CSV (receipts, issues, physical receipts invoiced "
            "later at another cost) into a file and import it through the CSV contract, streaming it from disk; on "
            "PostgreSQL also time a plain COPY of the same file into an unlogged table. Prints one JSON line: rate, "
            "ratio to COPY, peak RSS.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--items", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", type=Path, help="Also write the generated CSV here.")
        parser.add_argument("--through-job", action="store_true",
                            help="Import through an import job (stored under FILES_DIR and run here, as a worker runs it).")
        parser.add_argument("--floor", action="store_true",
                            help="PostgreSQL: also time the write floor, the rows the import wrote COPYed back into "
                                 "the real tables, emptied and restored in a rolled-back transaction (a scratch "
                                 "database only).")

    def handle(self, *args, **options):
        start = date(2026, 1, 1)
        company_bootstrap(today=start)
        rng = random.Random(options["seed"])
        prefix = f"IMP{rng.randrange(10**6):06d}"
        if Item.objects.filter(number__startswith=f"{prefix}-").exists():
            # Its refs are posted already: every row of the file would be refused as a duplicate.
            raise CommandError(f"This database already holds the run of --seed {options['seed']} "
                               f"(items {prefix}-…): pass another --seed.")
        numbers = [f"{prefix}-{n:04d}" for n in range(options["items"])]
        items_csv = "item,name,item_group,model_group,unit_cost\n" + "".join(
            f"{number},Import benchmark {number},DEFAULT,{rng.choice(['FIFO', 'LIFO', 'WAVG', 'FIFO-IPV'])},5\n"
            for number in numbers)
        with tempfile.TemporaryDirectory() as folder:
            items_path = Path(folder) / "items.csv"
            items_path.write_text(items_csv)
            call_command("import_items", str(items_path), stdout=self.stdout)
            path = options["keep"] or Path(folder) / "transactions.csv"
            rows = self._generate(path, Path(folder) / "invoices.csv", rng, prefix, numbers, start, options["rows"])
            copy_seconds = self._copy_seconds(path) if connection.vendor == "postgresql" else None
            started = time.perf_counter()
            if options["through_job"]:
                posted, errors = self._through_job(path)
            else:
                with path.open("rb") as stream:
                    result = transactions_import_file(stream=stream)
                posted, errors = result.posted, result.errors[:5]
            seconds = time.perf_counter() - started
            if errors:
                raise CommandError(f"The generated file was refused: {errors}")
            floor_seconds = (self._floor_seconds(Path(folder), prefix)
                             if options["floor"] and connection.vendor == "postgresql" else None)
        self.stdout.write(json.dumps({
            "rows": posted, "file_rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(posted / seconds),
            "copy_seconds": round(copy_seconds, 3) if copy_seconds else None,
            "ratio_to_copy": round(seconds / copy_seconds, 1) if copy_seconds else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "floor_seconds": round(floor_seconds, 3) if floor_seconds else None,
            "floor_ratio_to_copy": round(floor_seconds / copy_seconds, 1) if floor_seconds and copy_seconds else None,
            "through_job": options["through_job"], "database": connection.vendor,
            "items": Item.objects.filter(number__startswith=prefix).count(),
        }))

    def _generate(self, path: Path, invoices_path: Path, rng, prefix, numbers, start, count) -> int:
        """Write the file row by row (the physical receipts' invoices go to a second file appended at
        the end), so that generating a million rows holds none of them."""
        with path.open("w") as out, invoices_path.open("w") as invoices:
            out.write("ref,date,item,qty,unit_cost,update,site,warehouse,marking\n")
            invoice_day = start + timedelta(days=320)
            for n in range(count):
                day = start + timedelta(days=n * 300 // count)
                item = rng.choice(numbers)
                roll = rng.random()
                if roll < 0.45:
                    out.write(f"{prefix}R{n},{day},{item},{rng.randint(1, 50)},{rng.randint(100, 900) / 100},financial,,,\n")
                elif roll < 0.55:
                    qty = rng.randint(1, 50)
                    out.write(f"{prefix}P{n},{day},{item},{qty},{rng.randint(100, 900) / 100},physical,,,\n")
                    invoices.write(f"{prefix}P{n},{invoice_day},{item},{qty},7.77,financial,,,\n")
                else:
                    out.write(f"{prefix}I{n},{day},{item},-{rng.randint(1, 10)},,financial,,,\n")
        rows = count
        with path.open("a") as out, invoices_path.open() as invoices:
            for line in invoices:
                out.write(line)
                rows += 1
        return rows

    def _copy_seconds(self, path: Path) -> float:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS benchmark_import_copy")
            cursor.execute(COPY_TABLE)
            started = time.perf_counter()
            with path.open("rb") as source, cursor.cursor.copy(
                    "COPY benchmark_import_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
            seconds = time.perf_counter() - started
            cursor.execute("DROP TABLE benchmark_import_copy")
        return seconds

    def _floor_seconds(self, folder: Path, prefix: str) -> float:
        """How long PostgreSQL alone takes to write what the import wrote, with no Python: the run's
        transactions, their vouchers and voucher lines are COPYed out; then, in one transaction, the
        three tables are emptied (TRUNCATE: every index, check, key and trigger stays) and the rows
        COPYed back in, and the deferred checks run (SET CONSTRAINTS ALL IMMEDIATE: the balance of
        every voucher, as at commit); then it all rolls back. Timed from the first COPY in."""
        transactions = f"SELECT id FROM {InventoryTransaction._meta.db_table} WHERE ref LIKE '{prefix}%'"
        selects = {
            InventoryTransaction._meta.db_table: f"SELECT * FROM {InventoryTransaction._meta.db_table} "
                                                 f"WHERE id IN ({transactions}) ORDER BY id",
            "ledger_voucher": "SELECT * FROM ledger_voucher WHERE id IN (SELECT voucher_id FROM ledger_voucherline "
                              f"WHERE inventory_transaction_id IN ({transactions})) ORDER BY id",
            "ledger_voucherline": f"SELECT * FROM ledger_voucherline WHERE inventory_transaction_id IN ({transactions}) "
                                  "ORDER BY id",
        }
        with connection.cursor() as cursor:
            for table, select in selects.items():
                with (folder / f"{table}.copy").open("wb") as out, cursor.cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
                    for block in copy:
                        out.write(block)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(reversed(selects))} CASCADE")
            started = time.perf_counter()
            for table in selects:
                with (folder / f"{table}.copy").open("rb") as source, cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            transaction.set_rollback(True)
        return seconds

    def _through_job(self, path: Path) -> tuple[int, list]:
        with path.open("rb") as source:
            job = import_job_create(kind=ImportJob.Kind.TRANSACTIONS, uploaded_file=File(source, name=path.name),
                                    user=None, queue=False)
        job = import_job_run(job_id=job.pk)
        return job.rows_posted, job.errors[:5]
