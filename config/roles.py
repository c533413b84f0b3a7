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

VIEW_APPS = ("inventory", "ledger", "closing")

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
