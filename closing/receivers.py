"""What closing does when inventory announces something (connected in ClosingConfig.ready)."""

from django.dispatch import receiver

from closing.models import InventoryParameters
from inventory.signals import company_bootstrapped


@receiver(company_bootstrapped, dispatch_uid="closing.parameters_on_bootstrap")
def parameters_on_bootstrap(**kwargs) -> None:
    """A new company has the inventory parameters' single row, with their defaults."""
    InventoryParameters.load()
