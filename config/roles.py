"""The roles Costbook ships with, as Django groups, and the permissions each one holds.

Set by `roles_ensure`, which the roles data migration (closing/migrations/0004_roles.py) and
`bootstrap` both call, and checked by every view through the standard permission system, so the
admin can see and change them like any other group."""

ACCOUNTANT = "Inventory accountant"
CLERK = "Inventory clerk"
AUDITOR = "Auditor"

# Custom permissions (declared on models' Meta) and what they allow.
POST_JOURNAL = "inventory.post_journal"
RUN_CLOSING = "closing.run_closing"
REVERSE_CLOSING = "closing.reverse_closing"
ADJUST_INVENTORY = "closing.adjust_inventory"
CHANGE_PARAMETERS = "closing.change_inventoryparameters"
SEE_AUDIT_LOG = "common.see_audit_log"
ADD_ITEM = "inventory.add_item"
CHANGE_ITEM = "inventory.change_item"
CHANGE_FISCAL_PERIOD = "ledger.change_fiscalperiod"

VIEW_APPS = ("common", "inventory", "ledger", "closing", "warehouse")

# Clerks and accountants register warehouse journals and run Calculate Whse. Adjustment (which
# also needs inventory.post_journal) and change default bins and bin content; accountants also
# keep the bins and the bin-mandatory flag.
WAREHOUSE_CLERK = ["warehouse.add_warehousejournal", "warehouse.register_warehousejournal",
                   "warehouse.change_bincontent"]
WAREHOUSE_ACCOUNTANT = [*WAREHOUSE_CLERK, "warehouse.add_bin", "warehouse.change_bin",
                        "warehouse.change_warehousesetup"]

# What each role holds besides viewing everything in VIEW_APPS. The audit log is for accountants
# and auditors; accountants keep items and the fiscal calendar.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    AUDITOR: [SEE_AUDIT_LOG],
    CLERK: [
        POST_JOURNAL,
        "inventory.add_journal",
        "inventory.change_journal",
        "inventory.delete_journal",
        "inventory.add_inventorytransaction",
        *WAREHOUSE_CLERK,
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
        SEE_AUDIT_LOG,
        ADD_ITEM,
        CHANGE_ITEM,
        CHANGE_FISCAL_PERIOD,
        *WAREHOUSE_ACCOUNTANT,
    ],
}


def roles_ensure(apps=None) -> None:
    """Make each role's group hold exactly its permissions: every view permission of VIEW_APPS and
    ROLE_PERMISSIONS. Idempotent; called by the roles data migration (with the migration's app
    registry) and by `bootstrap`, so a database migrated before a permission existed gets it too."""
    from django.apps import apps as installed
    from django.contrib.auth.management import create_permissions

    registry = apps or installed
    for app_config in registry.get_app_configs():
        # Permissions are normally created after all migrations ran; make them exist now.
        if apps is not None:
            app_config.models_module = True
        create_permissions(app_config, apps=registry, verbosity=0)
        if apps is not None:
            app_config.models_module = None
    group_model = registry.get_model("auth", "Group")
    permission_model = registry.get_model("auth", "Permission")
    view = list(permission_model.objects.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_"))
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        granted = list(view)
        for perm in perms:
            app_label, codename = perm.split(".")
            granted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(granted)


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
