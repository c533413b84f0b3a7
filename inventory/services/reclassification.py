"""Item reclassification journals (docs/domain.md §5.5, Business Central's item
reclassification journal): change the warehouse, lot number, serial number or expiry date of
inventory already on hand without changing its value.

Each line posts a paired issue and receipt through `PostingSession.transfer`: the receipt carries
exactly the issue's cost and points at it (`transfer_issue`), so the close carries the issue's
settled cost to the receiving side, as for a transfer. Across a financial dimension (another site,
or a warehouse or lot that the item's setup makes financial) the pair gets the transfer's voucher;
within one it moves no value and gets none.
"""

from datetime import date

from common.money import ZERO
from inventory.models import InventoryTransaction, Item, Journal, JournalLine, SourceType
from inventory.services.posting import PostingSession


def lot_expiry(*, item: Item, lot: str) -> date | None:
    """A lot's expiry date: the one its latest receipt carries."""
    if item.tracking != Item.Tracking.LOT or not lot:
        return None
    return (InventoryTransaction.objects.filter(item=item, tracking_number=lot, qty__gt=0, expiry_date__isnull=False)
            .order_by("-date_physical", "-id").values_list("expiry_date", flat=True).first())


def reclassification_line_problems(*, line) -> list[str]:
    """What is wrong with a reclassification line (a `journals.LineInput`), as messages for the line."""
    problems = []
    item = line.item
    if line.qty <= ZERO:
        problems.append("a reclassification quantity must be positive (it moves what is on hand)")
    if line.unit_cost is not None:
        problems.append("a reclassification keeps the value of what it moves: leave the unit cost empty")
    if line.expiry_date:
        problems.append("the expiry date of what is on hand is known: enter the new expiry date only")
    if line.to_tracking_number and item.tracking == Item.Tracking.NONE:
        problems.append(f"{item.number} is not lot- or serial-tracked: it has no new lot/serial number")
    if line.to_expiry_date and item.tracking != Item.Tracking.LOT:
        problems.append(f"{item.number} is not lot-tracked: it has no expiry date")
    to_warehouse = line.to_warehouse or line.warehouse
    to_tracking = line.to_tracking_number or line.tracking_number
    same_expiry = line.to_expiry_date is None or line.to_expiry_date == lot_expiry(item=item, lot=line.tracking_number)
    if to_warehouse == line.warehouse and to_tracking == line.tracking_number and same_expiry:
        problems.append("the new warehouse, lot/serial number and expiry date are the same as the current ones: "
                        "change at least one")
    return problems


def reclassification_post_line(*, session: PostingSession, journal: Journal, line: JournalLine) -> None:
    to_warehouse = line.to_warehouse or line.warehouse
    to_tracking = line.to_tracking_number or line.tracking_number
    # A new lot number without a new expiry date keeps the lot's expiry (BC: New Expiration Date
    # defaults to the current one).
    expiry = line.to_expiry_date or lot_expiry(item=line.item, lot=line.tracking_number)
    session.transfer(item=line.item, qty=line.qty, posting_date=line.date, site=line.site, warehouse=line.warehouse,
                     to_site=to_warehouse.site, to_warehouse=to_warehouse, ref=f"{journal.number}-{line.line_number}",
                     source_number=journal.number, tracking_number=line.tracking_number,
                     to_tracking_number=to_tracking, expiry_date=expiry, journal_line=line,
                     source_type=SourceType.RECLASSIFICATION)
