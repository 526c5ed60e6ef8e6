"""The tenancy guard: queries on tenant-owned models run only inside a visibility scope.

Built on django-scopes' context state, so ``scope()``, ``scopes_disabled()`` and ``ScopeError``
behave exactly as in pretix. What differs is the filter: instead of a field equal to a scope
value, the active :class:`portal.visibility.Visibility` decides which rows a user may see,
because our rules are hierarchical (a province sees its cities) and combine roles (an applicant
who is also an expert).

* In a request, ``VisibilityMiddleware`` opens the scope for the logged-in user.
* In a task or command, ``with visibility_scope(Visibility.for_user(user)):``.
* ``scopes_disabled()`` is the explicit escape hatch; every use carries a comment saying why.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import models
from django_scopes import ScopeError, get_scope, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

if TYPE_CHECKING:
    from .visibility import Visibility

__all__ = [
    "ScopeError",
    "VisibleManager",
    "current_visibility",
    "scopes_disabled",
    "visibility_scope",
]

SCOPE_KEY = "visibility"


@contextmanager
def visibility_scope(visibility: "Visibility") -> Iterator["Visibility"]:
    with scope(**{SCOPE_KEY: visibility}):
        yield visibility


def current_visibility() -> "Visibility | None":
    return get_scope().get(SCOPE_KEY)


class VisibleManager(models.Manager):
    """Default manager of every tenant-owned model.

    Outside a scope every read raises ScopeError (loudly, rather than returning everything);
    inside one the queryset is narrowed to what the scope's visibility allows.
    """

    def get_queryset(self) -> models.QuerySet[Any]:
        state = get_scope()
        if not state.get("_enabled", True):
            return super().get_queryset()
        visibility = state.get(SCOPE_KEY)
        if visibility is None:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes=[SCOPE_KEY])
        return visibility.restrict(super().get_queryset())

    def all(self) -> models.QuerySet[Any]:
        qs = super().all()
        if isinstance(qs, DisabledQuerySet):
            qs = qs.all()  # raises ScopeError with the missing dimension
        return qs
