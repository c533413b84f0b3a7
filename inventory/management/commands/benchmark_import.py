import json
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from inventory.models import Item
from inventory.services.company import company_bootstrap
from inventory.services.imports import transactions_import


class Command(BaseCommand):
    help = ("Benchmark import_transactions: generate a realistic CSV (receipts, issues, physical receipts invoiced "
            "later at another cost) and import it through the CSV contract; print the rate as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--items", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", type=Path, help="Also write the generated CSV here.")

    def handle(self, *args, **options):
        start = date(2026, 1, 1)
        company_bootstrap(today=start)
        rng = random.Random(options["seed"])
        prefix = f"IMP{rng.randrange(10**6):06d}"
        numbers = [f"{prefix}-{n:04d}" for n in range(options["items"])]
        items_csv = "item,name,item_group,model_group,unit_cost\n" + "".join(
            f"{number},Import benchmark {number},DEFAULT,{rng.choice(['FIFO', 'LIFO', 'WAVG', 'FIFO-IPV'])},5\n"
            for number in numbers)
        with tempfile.TemporaryDirectory() as folder:
            items_path = Path(folder) / "items.csv"
            items_path.write_text(items_csv)
            call_command("import_items", str(items_path), stdout=self.stdout)
        rows, physical = ["ref,date,item,qty,unit_cost,update,site,warehouse,marking"], []
        for n in range(options["rows"]):
            day = start + timedelta(days=n * 300 // options["rows"])
            item = rng.choice(numbers)
            roll = rng.random()
            if roll < 0.45:
                rows.append(f"{prefix}R{n},{day},{item},{rng.randint(1, 50)},{rng.randint(100, 900) / 100},financial,,,")
            elif roll < 0.55:
                qty = rng.randint(1, 50)
                rows.append(f"{prefix}P{n},{day},{item},{qty},{rng.randint(100, 900) / 100},physical,,,")
                physical.append((f"{prefix}P{n}", item, qty))
            else:
                rows.append(f"{prefix}I{n},{day},{item},-{rng.randint(1, 10)},,financial,,,")
        invoice_day = start + timedelta(days=320)
        rows += [f"{ref},{invoice_day},{item},{qty},7.77,financial,,," for ref, item, qty in physical]
        text = "\n".join(rows) + "\n"
        if options["keep"]:
            options["keep"].write_text(text)
        result = transactions_import(text=text)
        if not result.ok:
            raise CommandError(f"The generated file was refused: {result.errors[:5]}")
        self.stdout.write(json.dumps({
            "rows": result.posted, "seconds": round(result.seconds, 2), "rows_per_second": round(result.rate),
            "items": Item.objects.filter(number__startswith=prefix).count(),
        }))
