"""The FIFO book of the adjustment suites (docs/domain.md §3.1 and §3.2), shared by the scenario, view and
browser tests. Item NUT, all purchases and sales invoiced; after the close of January 31, 8 of R2
(96.00) and 5 of R3 (70.00) are open, 13 pieces worth 166.00."""

from decimal import Decimal

from inventory.models import InventoryTransaction

NUT_FIFO_BOOK = """
    R1,2026-01-02,NUT,10,10.00,financial
    R2,2026-01-05,NUT,10,12.00,financial
    R3,2026-01-08,NUT,5,14.00,financial
    I1,2026-01-10,NUT,-12,,financial
"""


def open_value(ref: str) -> Decimal:
    """What a receipt still carries into the next close: its value less the value settled."""
    txn = InventoryTransaction.objects.get(ref=ref)
    return txn.cost_amount - txn.cost_amount_settled
