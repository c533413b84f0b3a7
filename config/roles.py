"""The roles Costbook ships with, as Django groups, and the permissions each one holds.

Created by a data migration (closing/migrations) and checked by every view through the standard
permission system, so the admin can see and change them like any other group."""

ACCOUNTANT = "Inventory accountant"
CLERK = "Inventory clerk"
AUDITOR = "Auditor"

# Custom permissions (declared on models' Meta) and what they allow.
POST_JOURNAL = "inventory.post_journal"
RUN_CLOSING = "closing.run_closing"
REVERSE_CLOSING = "closing.reverse_closing"
ADJUST_INVENTORY = "closing.adjust_inventory"
CHANGE_PARAMETERS = "closing.change_inventoryparameters"
SEE_AUDIT_LOG = "ledger.see_audit_log"
ADD_ITEM = "inventory.add_item"
CHANGE_ITEM = "inventory.change_item"
CHANGE_FISCAL_PERIOD = "ledger.change_fiscalperiod"

VIEW_APPS = ("inventory", "ledger", "closing", "warehouse")

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AUDITOR: [],  # view permissions only (added for every role below)
    CLERK: [
        POST_JOURNAL,
        "inventory.add_journal",
        "inventory.change_journal",
        "inventory.delete_journal",
        "inventory.add_inventorytransaction",
    ],
    ACCOUNTANT: [
        POST_JOURNAL,
        "inventory.add_journal",
        "inventory.change_journal",
        "inventory.delete_journal",
        "inventory.add_inventorytransaction",
        RUN_CLOSING,
        REVERSE_CLOSING,
        ADJUST_INVENTORY,
        CHANGE_PARAMETERS,
    ],
}


# Granted by later migrations (ledger 0007): closing 0003 creates the roles from ROLE_PERMISSIONS as
# the permissions stood then, so what came after is kept apart. The audit log page is for
# accountants and auditors; accountants keep items and the fiscal calendar.
GRANTED_LATER: dict[str, list[str]] = {
    AUDITOR: [SEE_AUDIT_LOG],
    CLERK: [],
    ACCOUNTANT: [SEE_AUDIT_LOG, ADD_ITEM, CHANGE_ITEM, CHANGE_FISCAL_PERIOD],
}


# The warehouse app's pages (warehouse 0002): clerks and accountants register warehouse journals
# and run Calculate Whse. Adjustment (which also needs inventory.post_journal) and change default
# bins and bin content; accountants also keep the bins and the bin-mandatory flag.
WAREHOUSE_GRANTS: dict[str, list[str]] = {
    AUDITOR: [],
    CLERK: ["warehouse.add_warehousejournal", "warehouse.register_warehousejournal", "warehouse.change_bincontent"],
    ACCOUNTANT: ["warehouse.add_warehousejournal", "warehouse.register_warehousejournal", "warehouse.change_bincontent",
                 "warehouse.add_bin", "warehouse.change_bin", "warehouse.change_warehousesetup"],
}
for _role, _perms in WAREHOUSE_GRANTS.items():
    GRANTED_LATER[_role] = GRANTED_LATER[_role] + _perms


def role_of(user) -> str:
    """The name shown next to the signed-in user."""
    if not user.is_authenticated:
        return ""
    names = set(user.groups.values_list("name", flat=True))
    for role in (ACCOUNTANT, CLERK, AUDITOR):
        if role in names:
            return role
    if user.is_superuser or user.is_staff:
        return "Administrator"
    return "No role"
