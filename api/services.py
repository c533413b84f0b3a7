"""Writes of the api app: creating and revoking API tokens, audited in the same transaction."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from common.audit import audit_record
from common.errors import DomainError

TOKEN_PREFIX = "cb_"
PREFIX_LENGTH = 11  # "cb_" and 8 characters of the secret: enough to tell a user's tokens apart
NAME_LENGTH = ApiToken._meta.get_field("name").max_length


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


def token_create(*, user, name: str = "") -> NewToken:
    """A new token for `user`. The secret is returned once and never stored."""
    name = name.strip()
    if len(name) > NAME_LENGTH:
        raise DomainError(f"The name is {len(name)} characters long: at most {NAME_LENGTH} are allowed.", field="name")
    if not getattr(user, "pk", None) or not user.is_active:
        raise DomainError("Tokens are only for active users.", field="user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=secret[:PREFIX_LENGTH], key_hash=token_hash(secret))
        audit_record(user=user, action="api_token.create", obj=token, name=name, prefix=token.prefix)
    return NewToken(token=token, secret=secret)


def token_revoke(*, token_id: int, user) -> ApiToken:
    """Revoke one of `user`'s own tokens. Revoking a revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise DomainError("No such token of yours.", field="token")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(user=user, action="api_token.revoke", obj=token, name=token.name, prefix=token.prefix)
    return token
