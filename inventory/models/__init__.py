"""Inventory's tables, one module per concern; every model is importable from here."""

from inventory.models.jobs import (  # noqa: F401
    ImportJob,
)
from inventory.models.journals import (  # noqa: F401
    CountingHistory,
    Journal,
    JournalLine,
    LineMovement,
    StandardJournal,
    StandardJournalLine,
)
from inventory.models.setup import (  # noqa: F401
    CostDimension,
    CountingPeriod,
    Item,
    ItemGroup,
    ItemModelGroup,
    OnHand,
    PostingType,
    Site,
    ValuationMethod,
    Warehouse,
    validate_item_number,
)
from inventory.models.transactions import (  # noqa: F401
    FINANCIAL_STATUSES,
    InventoryTransaction,
    SourceType,
    TransactionStatus,
)
