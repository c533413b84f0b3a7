"""Permission checks shared by every view: a signed-in user without the permission gets 403 (the
403 page names their role), never a redirect loop, a 500 or a silent no-op."""

from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin


class PermissionRequired(PermissionRequiredMixin):
    raise_exception = True


def require_permission(perm: str | tuple[str, ...]):
    return permission_required(perm, raise_exception=True)
