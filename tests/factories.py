"""factory_boy factories for master data. Items default to item group DEFAULT and model group FIFO of
the bootstrapped company (use the `company` fixture); pass codes or objects:

    ItemFactory(model_group="MOVAVG", default_cost_price=Decimal("10.00"))
"""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from inventory.models import CountingPeriod, Item, ItemGroup, ItemModelGroup, Site, Warehouse
from ledger.models import MainAccount


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.LazyAttribute(lambda site: f"Site {site.code}")


class WarehouseFactory(DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("site", "code")

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"W{n:03d}")
    name = factory.LazyAttribute(lambda warehouse: f"Warehouse {warehouse.code}")


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = MainAccount
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.LazyAttribute(lambda account: f"Account {account.number}")
    account_type = MainAccount.AccountType.PROFIT_AND_LOSS


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    number = factory.Sequence(lambda n: f"ITEM-{n:04d}")
    name = factory.LazyAttribute(lambda item: f"Item {item.number}")
    item_group = "DEFAULT"
    model_group = "FIFO"
    default_cost_price = Decimal("0")

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        # Groups may be given by code: ItemFactory(model_group="WAVG-IPV").
        if isinstance(kwargs.get("item_group"), str):
            kwargs["item_group"] = ItemGroup.objects.get(code=kwargs["item_group"])
        if isinstance(kwargs.get("model_group"), str):
            kwargs["model_group"] = ItemModelGroup.objects.get(code=kwargs["model_group"])
        return kwargs


class CountingPeriodFactory(DjangoModelFactory):
    """A cycle-counting period: CountingPeriodFactory(code="QUARTER", frequency_per_year=4)."""

    class Meta:
        model = CountingPeriod
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CP{n:02d}")
    description = factory.LazyAttribute(lambda period: f"Counted {period.frequency_per_year} times a year")
    frequency_per_year = 4
