"""Setting up a company: the standard chart, site, item group, model groups and fiscal calendar
(`bootstrap`), and a realistic demo company on top (`demo`). Both are idempotent."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from common.audit import audit_record
from common.money import round_amount
from config.roles import ACCOUNTANT, AUDITOR, CLERK
from inventory.models import (
    InventoryTransaction,
    Item,
    ItemGroup,
    ItemModelGroup,
    Site,
    SourceType,
    ValuationMethod,
    Warehouse,
)
from inventory.services.posting import posting_session
from inventory.signals import company_bootstrapped
from ledger.models import FiscalPeriod, MainAccount
from ledger.services import fiscal_year_ensure

BS, PL = MainAccount.AccountType.BALANCE_SHEET, MainAccount.AccountType.PROFIT_AND_LOSS
STANDARD_CHART = [
    ("1200", "Accounts receivable", BS),
    ("1400", "Inventory", BS),
    ("2000", "Accounts payable", BS),
    ("2100", "Purchase accrual (received not invoiced)", BS),
    ("2150", "Packing slip offset", BS),
    ("3900", "Opening balance equity", BS),
    ("4000", "Sales revenue", PL),
    ("5000", "Cost of goods sold", PL),
    ("5100", "Inventory profit", PL),
    ("5110", "Inventory loss", PL),
    ("5200", "Purchase price variance", PL),
    ("5300", "Cost revaluation", PL),
]
DEFAULT_GROUP_ACCOUNTS = {
    "inventory_receipt_account": "1400",
    "inventory_issue_account": "1400",
    "cogs_account": "5000",
    "purchase_accrual_account": "2100",
    "packing_slip_offset_account": "2150",
    "inventory_profit_account": "5100",
    "inventory_loss_account": "5110",
    "price_difference_account": "5200",
    "cost_revaluation_account": "5300",
}
MODEL_GROUPS = [
    ("FIFO", "FIFO", ValuationMethod.FIFO, False),
    ("LIFO", "LIFO", ValuationMethod.LIFO, False),
    ("LIFODATE", "LIFO date", ValuationMethod.LIFO_DATE, False),
    ("WAVG", "Weighted average", ValuationMethod.WEIGHTED_AVERAGE, False),
    ("WAVGDATE", "Weighted average date", ValuationMethod.WEIGHTED_AVERAGE_DATE, False),
    ("STD", "Standard cost", ValuationMethod.STANDARD_COST, False),
    ("MOVAVG", "Moving average", ValuationMethod.MOVING_AVERAGE, False),
    ("FIFO-IPV", "FIFO, include physical value", ValuationMethod.FIFO, True),
    ("LIFO-IPV", "LIFO, include physical value", ValuationMethod.LIFO, True),
    ("LIFODATE-IPV", "LIFO date, include physical value", ValuationMethod.LIFO_DATE, True),
    ("WAVG-IPV", "Weighted average, include physical value", ValuationMethod.WEIGHTED_AVERAGE, True),
    ("WAVGDATE-IPV", "Weighted average date, include physical value", ValuationMethod.WEIGHTED_AVERAGE_DATE, True),
]


def company_bootstrap(*, today: date, user=None) -> dict[str, int]:
    """Create what a new company needs to post: nothing that exists is changed."""
    created = {"accounts": 0, "model_groups": 0, "periods": 0}
    with transaction.atomic():
        accounts = {}
        for number, name, account_type in STANDARD_CHART:
            accounts[number], was_created = MainAccount.objects.get_or_create(
                number=number, defaults={"name": name, "account_type": account_type})
            created["accounts"] += was_created
        site, _ = Site.objects.get_or_create(code="MAIN", defaults={"name": "Main site"})
        Warehouse.objects.get_or_create(site=site, code="MAIN", defaults={"name": "Main warehouse"})
        ItemGroup.objects.get_or_create(
            code="DEFAULT", defaults={"name": "Default item group",
                                      **{field: accounts[number] for field, number in DEFAULT_GROUP_ACCOUNTS.items()}})
        for code, name, method, include_physical in MODEL_GROUPS:
            _, was_created = ItemModelGroup.objects.get_or_create(
                code=code, defaults={"name": name, "valuation_method": method, "include_physical_value": include_physical,
                                     "physical_negative_allowed": True, "financial_negative_allowed": True})
            created["model_groups"] += was_created
        for year in (today.year, today.year + 1):
            # fiscal_year_ensure returns the year's periods whether it made them or found them.
            existing = FiscalPeriod.objects.filter(start_date__year=year).count()
            created["periods"] += len(fiscal_year_ensure(year=year)) - existing
        company_bootstrapped.send(sender="inventory")
        audit_record(user=user, action="company.bootstrap", object_type="company", object_id="-", **created)
    return created


DEMO_PASSWORDS = {
    "accountant": ("Ada", "Accountant", ACCOUNTANT, "costbook-accountant"),
    "clerk": ("Carl", "Clerk", CLERK, "costbook-clerk"),
    "auditor": ("Aud", "Auditor", AUDITOR, "costbook-auditor"),
}
DEMO_ADMIN = ("admin", "costbook-admin")

DEMO_ITEMS = [
    # number, name, model group, item group, unit cost
    ("BOLT-M6", "Hex bolt M6 × 30", "FIFO", "HARDWARE", "0.12"),
    ("BOLT-M8", "Hex bolt M8 × 40", "FIFO", "HARDWARE", "0.19"),
    ("NUT-M6", "Hex nut M6", "FIFO-IPV", "HARDWARE", "0.04"),
    ("NUT-M8", "Hex nut M8", "FIFO-IPV", "HARDWARE", "0.06"),
    ("WASHER-6", "Washer 6 mm", "LIFO", "HARDWARE", "0.02"),
    ("WASHER-8", "Washer 8 mm", "LIFO", "HARDWARE", "0.03"),
    ("SCREW-W4", "Wood screw 4 × 40", "LIFODATE", "HARDWARE", "0.05"),
    ("SCREW-W5", "Wood screw 5 × 60", "LIFODATE-IPV", "HARDWARE", "0.08"),
    ("HINGE-100", "Door hinge 100 mm", "WAVG", "HARDWARE", "2.40"),
    ("HANDLE-S", "Steel handle", "WAVG-IPV", "HARDWARE", "4.75"),
    ("LOCK-CYL", "Cylinder lock", "WAVGDATE", "HARDWARE", "18.50"),
    ("LATCH-M", "Magnetic latch", "WAVGDATE-IPV", "HARDWARE", "1.10"),
    ("PAINT-W5", "White paint 5 l", "FIFO", "PAINT", "21.00"),
    ("PAINT-B5", "Black paint 5 l", "FIFO", "PAINT", "22.50"),
    ("PRIMER-5", "Primer 5 l", "LIFO", "PAINT", "17.80"),
    ("VARNISH-1", "Clear varnish 1 l", "WAVG", "PAINT", "9.60"),
    ("THINNER-1", "Thinner 1 l", "WAVG", "PAINT", "4.20"),
    ("BRUSH-50", "Brush 50 mm", "STD", "PAINT", "3.00"),
    ("ROLLER-18", "Paint roller 18 cm", "STD", "PAINT", "5.50"),
    ("TAPE-50", "Masking tape 50 m", "MOVAVG", "PAINT", "2.90"),
    ("DRILL-18V", "Cordless drill 18 V", "FIFO", "TOOLS", "89.00"),
    ("SAW-CIRC", "Circular saw", "FIFO-IPV", "TOOLS", "129.00"),
    ("SANDER-O", "Orbital sander", "LIFO", "TOOLS", "64.00"),
    ("LEVEL-60", "Spirit level 60 cm", "WAVG", "TOOLS", "14.90"),
    ("HAMMER-C", "Claw hammer", "WAVGDATE", "TOOLS", "11.40"),
    ("PLIERS-C", "Combination pliers", "STD", "TOOLS", "7.80"),
    ("KNIFE-U", "Utility knife", "MOVAVG", "TOOLS", "3.60"),
    ("TAPE-M5", "Tape measure 5 m", "MOVAVG", "TOOLS", "5.20"),
    ("GLOVE-L", "Work gloves L", "FIFO", "SAFETY", "1.95"),
    ("GOGGLE-C", "Safety goggles", "LIFODATE", "SAFETY", "4.10"),
    ("MASK-P2", "Dust mask FFP2", "WAVG", "SAFETY", "0.85"),
    ("HELMET-W", "Safety helmet", "STD", "SAFETY", "9.90"),
    ("EARPLUG", "Ear plugs (pair)", "MOVAVG", "SAFETY", "0.25"),
    ("BOOT-43", "Safety boots size 43", "FIFO", "SAFETY", "48.00"),
    ("VEST-HV", "High-visibility vest", "WAVGDATE", "SAFETY", "3.40"),
    ("INSTALL-H", "Installation service (hour)", "FIFO", "SERVICES", "35.00"),
]
DEMO_GROUPS = {"HARDWARE": "Hardware", "PAINT": "Paint and finishes", "TOOLS": "Power and hand tools",
               "SAFETY": "Safety equipment", "SERVICES": "Stocked services"}


def demo_load(*, today: date, seed: int = 7) -> dict[str, int]:
    """A demo company: groups, items, two sites with three warehouses, users per role, and three
    months of purchases, invoices and sales posted through the posting services."""
    company_bootstrap(today=today)
    stats = {"items": 0, "transactions": 0, "users": 0}
    with transaction.atomic():
        default_group = ItemGroup.objects.get(code="DEFAULT")
        accounts = {field: getattr(default_group, field) for field in DEFAULT_GROUP_ACCOUNTS}
        groups = {}
        for code, name in DEMO_GROUPS.items():
            groups[code], _ = ItemGroup.objects.get_or_create(code=code, defaults={"name": name, **accounts})
        main = Site.objects.get(code="MAIN")
        east, _ = Site.objects.get_or_create(code="EAST", defaults={"name": "East site"})
        warehouses = [
            Warehouse.objects.get(site=main, code="MAIN"),
            Warehouse.objects.get_or_create(site=main, code="BULK", defaults={"name": "Bulk store"})[0],
            Warehouse.objects.get_or_create(site=east, code="EAST", defaults={"name": "East warehouse"})[0],
        ]
        model_groups = {group.code: group for group in ItemModelGroup.objects.all()}
        for number, name, model_code, group_code, cost in DEMO_ITEMS:
            _, was_created = Item.objects.get_or_create(
                number=number, defaults={"name": name, "model_group": model_groups[model_code], "item_group": groups[group_code],
                                         "default_cost_price": Decimal(cost),
                                         "item_type": Item.ItemType.SERVICE if group_code == "SERVICES" else Item.ItemType.ITEM})
            stats["items"] += was_created
        for username, (first, last, role, password) in DEMO_PASSWORDS.items():
            user, was_created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
            if was_created:
                user.set_password(password)
                user.save()
                user.groups.add(Group.objects.get(name=role))
                stats["users"] += 1
        admin_name, admin_password = DEMO_ADMIN
        if not User.objects.filter(username=admin_name).exists():
            User.objects.create_superuser(admin_name, "admin@example.com", admin_password)
            stats["users"] += 1
        if not InventoryTransaction.objects.filter(source_number="demo").exists():
            stats["transactions"] = _demo_history(today=today, warehouses=warehouses, seed=seed)
    return stats


def _demo_history(*, today: date, warehouses: list[Warehouse], seed: int) -> int:
    rng = random.Random(seed)
    start = (today.replace(day=1) - timedelta(days=80)).replace(day=1)
    items = list(Item.objects.select_related("item_group", "model_group").order_by("number"))
    posted = 0
    with posting_session() as session:
        pending = []
        day = start
        while day < today:
            for item in rng.sample(items, 6):
                warehouse = rng.choice(warehouses)
                base = item.default_cost_price
                if rng.random() < 0.55:
                    qty = Decimal(rng.choice([10, 20, 25, 50, 100]))
                    unit_cost = round_amount(base * Decimal(rng.randint(90, 115)) / 100)  # ±10–15% around the cost price
                    financial = rng.random() < 0.7
                    txn = session.receive(item=item, qty=qty, unit_cost=unit_cost, posting_date=day, site=warehouse.site,
                                          warehouse=warehouse, source_type=SourceType.PURCHASE, financial=financial,
                                          source_number="demo")
                    if not financial:
                        pending.append((txn, unit_cost))
                else:
                    qty = Decimal(rng.choice([1, 2, 5, 8, 10]))
                    session.issue(item=item, qty=qty, posting_date=day, site=warehouse.site, warehouse=warehouse,
                                  source_type=SourceType.SALE, financial=rng.random() < 0.85, source_number="demo")
                posted += 1
            # Invoices arrive a few days after the goods.
            for txn, unit_cost in [entry for entry in pending if (day - entry[0].date_physical).days >= 5]:
                session.invoice(txn=txn, posting_date=day, unit_cost=unit_cost + Decimal("0.05"))
                pending.remove((txn, unit_cost))
            day += timedelta(days=1)
    return posted
