"""The API enforces the pages' role permissions: an endpoint names the Django permission its page
requires, and a token or session without it gets 403 (no token at all: 401)."""

from rest_framework.permissions import BasePermission


def require(*perms: str) -> type[BasePermission]:
    """A DRF permission class that lets a request through when its user holds every one of `perms`."""

    class RequirePermissions(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    RequirePermissions.__name__ = f"Require({', '.join(perms)})"
    return RequirePermissions
