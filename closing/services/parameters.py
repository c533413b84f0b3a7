"""The Inventory parameters a run is started with."""

from django.db import transaction

from closing.models import InventoryParameters
from common.audit import audit_record, audit_values
from common.errors import DomainError
from common.money import ZERO

PARAMETER_FIELDS = ("storno_for_adjustments", "default_specification", "default_min_adjustment", "items_per_bundle",
                    "max_iterations")


def parameters_update(*, user=None, **changes) -> InventoryParameters:
    """Change the Inventory parameters (docs/domain.md §2.4, §3): validated by the model's constraints, audited
    with the values before and after. Runs already started keep the values they were started with."""
    unknown = set(changes) - set(PARAMETER_FIELDS)
    if unknown:
        raise DomainError(f"Unknown inventory parameter(s): {', '.join(sorted(unknown))}.")
    InventoryParameters.load()
    with transaction.atomic():
        parameters = InventoryParameters.objects.select_for_update().get(pk=1)
        before = audit_values(parameters, changes)  # 0.00 and 0 are one amount: no change
        for name, value in changes.items():
            setattr(parameters, name, value)
        if parameters.items_per_bundle < 1:
            raise DomainError("The number of items per bundle must be at least 1.", field="items_per_bundle")
        if parameters.max_iterations < 1:
            raise DomainError("The maximum throughputs must be at least 1.", field="max_iterations")
        if parameters.default_min_adjustment < ZERO:
            raise DomainError("The default minimum adjustment cannot be negative.", field="default_min_adjustment")
        parameters.save()
        after = audit_values(parameters, changes)
        changed = {name: {"from": before[name], "to": after[name]} for name in changes if before[name] != after[name]}
        if changed:
            audit_record(user=user, action="parameters.change", obj=parameters, changes=changed)
    return parameters
