"""The API tokens page: a signed-in user lists, creates and revokes their own tokens. A new token's
secret is shown once, on the answer to the form that created it; only its hash is kept."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import selectors, services
from common.errors import DomainError


class TokenForm(forms.Form):
    name = forms.CharField(max_length=services.NAME_LENGTH, required=False,
                           help_text="What the token is for, e.g. the general ledger's import.")


def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            form = TokenForm()
    response = render(request, "api/tokens.html", {"form": form, "created": created,
                                                   "tokens": selectors.tokens_of(user=request.user)})
    response["Cache-Control"] = "no-store"  # the page may carry a secret
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = services.token_revoke(token_id=pk, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("api:tokens")
