"""The user's API tokens (account menu → API tokens): create (shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import tokens
from .models import ApiToken
from .params import int_param, text_param


def _page(request: HttpRequest, **context: object) -> HttpResponse:
    response = render(
        request,
        "portal/token_list.html",
        {
            "tokens": tokens.token_list(user=request.user),  # type: ignore[arg-type]
            "scopes": ApiToken.Scope.choices,
            "expiries": tokens.EXPIRY_DAYS,
            **context,
        },
    )
    add_never_cache_headers(response)  # the new token is on this page once; never cache it
    return response


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    try:
        token, raw = tokens.token_create(
            user=request.user,  # type: ignore[arg-type]
            name=text_param(request.POST, "name", max_length=200),
            scope=text_param(request.POST, "scope", max_length=20),
            expires_in_days=int_param(request.POST, "expires_in_days") or 0,
        )
    except ValidationError as error:
        return _page(request, errors=error.message_dict, values=request.POST)
    return _page(request, created=token, raw=raw)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_pk: int) -> HttpResponse:
    # Only the owner's own tokens: anyone else's answers 404 like a missing one.
    token = ApiToken.objects.filter(user_id=request.user.pk, pk=token_pk).first()
    if token is None:
        raise Http404
    tokens.token_revoke(user=request.user, token=token)  # type: ignore[arg-type]
    messages.success(request, _("The token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("token-list")
