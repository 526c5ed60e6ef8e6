"""What each user may see: the one module that decides (DESIGN.md §3).

A :class:`Visibility` is computed from a user's memberships, never from request data. Every
tenant-owned model has rules in ``RULES`` that turn a visibility into a filter; the
:class:`portal.scoping.VisibleManager` applies them to every query inside a scope. A model with a
``VisibleManager`` but no rule fails loudly instead of leaking.

The core knows only its own models. Each app registers the rules of its models (and the grants it
adds to another app's models, such as an expert's view of the books assigned to them) with
:func:`register` from its ``AppConfig.ready()``, the way document builders and deadline kinds
register: the core never imports an app.

Rules so far:

* bureau staff see rows owned by their bureau and every bureau below it, never a sibling's;
* an organization's members see their organization's rows;
* every user sees their own memberships and audit events;
* bureau admins and organization admins see their tenant's audit trail;
* portal operators see everything.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.db.models import Q
from django.http import Http404

from .models import (
    BUREAU_ROLES,
    ORGANIZATION_ROLES,
    AuditEvent,
    Bureau,
    Deadline,
    ExportJob,
    Membership,
    Organization,
    Role,
    StatusEvent,
)
from .scoping import scopes_disabled


@dataclass(frozen=True)
class Visibility:
    user_id: int | None
    roles: frozenset[tuple[str, int | None, int | None]] = field(default=frozenset())
    is_system: bool = False
    # Each model's filter, built once per visibility (a request's, or a task's) and reused by
    # every queryset after it: the rules depend only on the roles above.
    _filters: dict[tuple[type[models.Model], str], Q] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    # The materialised paths of the bureaus in ``roles``, read with them, so a subtree is one
    # plain prefix query instead of a correlated one.
    _bureau_paths: dict[int, str] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    # Facts an app's rule reads once per visibility (see ``remember``).
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def for_user(cls, user: Any) -> "Visibility":
        if user is None or not user.is_authenticated or not user.is_active:
            return cls.anonymous()
        rows = _roles_of(user.pk)
        return cls(
            user_id=user.pk,
            roles=frozenset((role, b, o) for role, b, o, _p in rows),
            _bureau_paths={b: path for _r, b, _o, path in rows if b is not None and path},
        )

    @classmethod
    def anonymous(cls) -> "Visibility":
        return cls(user_id=None)

    @classmethod
    def system(cls) -> "Visibility":
        """For jobs acting for the portal itself (heartbeat, demo seed); never for a user."""
        # The one place the system visibility is built; its callers are allow-listed with their
        # reasons in tests/test_architecture.py.
        return cls(user_id=None, is_system=True)

    # --- facts about the user -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_operator(self) -> bool:
        return self.is_system or any(role == Role.OPERATOR for role, _b, _o in self.roles)

    def has_role(self, *roles: str) -> bool:
        return self.is_operator or any(role in roles for role, _b, _o in self.roles)

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise PermissionDenied

    def bureau_ids_with(self, roles: Iterable[str]) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(b for role, b, _o in self.roles if role in wanted and b is not None)

    def organization_ids_with(self, roles: Iterable[str]) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(o for role, _b, o in self.roles if role in wanted and o is not None)

    def works_for(self, bureau_id: int | None) -> bool:
        """Staff of exactly this bureau (not merely above it), or the operator: who acts for it."""
        return self.is_operator or bureau_id in self.bureau_ids_with(BUREAU_ROLES)

    @cached_property
    def staff_bureau_ids(self) -> frozenset[int]:
        """Bureaus the user works for, with every bureau below them."""
        return _subtree_ids(self.bureau_ids_with(BUREAU_ROLES), self._bureau_paths)

    @cached_property
    def manager_bureau_ids(self) -> frozenset[int]:
        """Bureaus where the user is a manager or admin, with every bureau below them."""
        return _subtree_ids(
            self.bureau_ids_with({Role.BUREAU_MANAGER, Role.BUREAU_ADMIN}), self._bureau_paths
        )

    @cached_property
    def admin_bureau_ids(self) -> frozenset[int]:
        return _subtree_ids(self.bureau_ids_with({Role.BUREAU_ADMIN}), self._bureau_paths)

    @cached_property
    def bureau_ids_above(self) -> frozenset[int]:
        """Bureaus strictly above the bureaus the user works for (none for a province's staff)."""
        paths = _paths_of(self.bureau_ids_with(BUREAU_ROLES), self._bureau_paths)
        above = {int(part) for path in paths for part in path.strip("/").split("/") if part}
        return frozenset(above - self.staff_bureau_ids)

    @cached_property
    def organization_ids(self) -> frozenset[int]:
        return self.organization_ids_with(ORGANIZATION_ROLES)

    @cached_property
    def admin_organization_ids(self) -> frozenset[int]:
        return self.organization_ids_with({Role.ORG_ADMIN})

    @cached_property
    def home_bureau_line_ids(self) -> frozenset[int]:
        """The home bureaus of the user's organizations and every bureau above them: whose
        published decisions (leading units serving the area) concern the user's enterprise."""
        if not self.organization_ids:
            return frozenset()
        # Read while the scope is being built, and only the user's own organizations.
        paths = Organization._base_manager.filter(pk__in=self.organization_ids).values_list(
            "home_bureau__path", flat=True
        )
        return frozenset(int(part) for path in paths if path for part in path.strip("/").split("/"))

    @property
    def is_bureau_staff(self) -> bool:
        return bool(self.bureau_ids_with(BUREAU_ROLES))

    @property
    def is_applicant(self) -> bool:
        return bool(self.organization_ids)

    @property
    def is_expert(self) -> bool:
        return bool(self.bureau_ids_with({Role.EXPERT}))

    def remember(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per visibility: a fact a rule needs beside the roles (the calls of
        the user's bureaus), read once and shared by every queryset after it."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- querysets --------------------------------------------------------------------------
    def restrict(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if self.is_operator:
            return queryset
        return queryset.filter(rule_q(queryset.model, self))

    def bureaus(self) -> models.QuerySet[Bureau]:
        """Bureaus whose work this user may see as staff (their own and those below)."""
        qs = Bureau.objects.select_related("parent")
        return qs if self.is_operator else qs.filter(pk__in=self.staff_bureau_ids)


class RequestVisibility:
    """The visibility of a request's user, computed on first use.

    Lazy so that API authentication (which may set ``request.user`` inside the view) has run
    before the user's memberships are read.
    """

    def __init__(self, request: Any) -> None:
        self._request = request
        self._resolved: Visibility | None = None

    def resolve(self) -> Visibility:
        if self._resolved is None or self._resolved.user_id != getattr(
            self._request.user, "pk", None
        ):
            self._resolved = Visibility.for_user(getattr(self._request, "user", None))
        return self._resolved

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


def _roles_of(user_id: int) -> list[tuple[str, int | None, int | None, str | None]]:
    """The user's own roles, with the path of each role's bureau.

    Read before a scope can exist (the scope is built from them) on every signed-in request, so
    it is one plain statement: composing it through the ORM cost more than running it.
    """
    quote = connection.ops.quote_name
    membership, bureau = quote(Membership._meta.db_table), quote(Bureau._meta.db_table)
    joined = f"{membership} m LEFT JOIN {bureau} b ON b.id = m.bureau_id"
    # The tables are the models' own; the user is a parameter.
    sql = (
        f"SELECT m.role, m.bureau_id, m.organization_id, b.path FROM {joined} WHERE m.user_id = %s"  # noqa: S608
    )
    # Raw SQL: the user's own roles, the one read every signed-in request makes before its scope.
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return cast(list[tuple[str, int | None, int | None, str | None]], cursor.fetchall())


def _paths_of(bureau_ids: frozenset[int], known: dict[int, str]) -> set[str]:
    """The materialised paths of ``bureau_ids``: from those read with the roles, or else read."""
    if not bureau_ids <= known.keys():
        known = dict(Bureau.objects.filter(pk__in=bureau_ids).values_list("pk", "path"))
    return {known[b] for b in bureau_ids if b in known}


def _subtree_ids(roots: frozenset[int], paths: dict[int, str]) -> frozenset[int]:
    """The bureaus whose materialised path starts with a root's ("/1/4/" starts "/1/4/9/"): one
    plain statement on the path index, run by every staff request."""
    if not roots:
        return frozenset()
    prefixes = sorted(_paths_of(roots, paths))
    # A root below another root adds nothing.
    kept = [p for i, p in enumerate(prefixes) if not any(p.startswith(q) for q in prefixes[:i])]
    if not kept:
        return frozenset()
    table = connection.ops.quote_name(Bureau._meta.db_table)
    # Paths hold digits and slashes only, so a prefix needs no LIKE escaping.
    condition = " OR ".join(["path LIKE %s"] * len(kept))
    # The model's own table and fixed clauses; the prefixes are parameters.
    sql = f"SELECT id FROM {table} WHERE {condition}"  # noqa: S608
    # Raw SQL: a staff user's bureau subtree, read by every staff request while building its scope.
    with connection.cursor() as cursor:
        cursor.execute(sql, [p + "%" for p in kept])
        return frozenset(row[0] for row in cursor.fetchall())


# --- the rules: registered per tenant-owned model ------------------------------------------------
Rule = Callable[[Visibility], Q]
# A rule that can also filter the rows belonging to a model through a relation ``prefix``
# ("application__"), so child rows follow their parent's rule without repeating it.
PrefixedRule = Callable[[Visibility, str], Q]

RULES: dict[type[models.Model], list[PrefixedRule]] = {}


def register(
    model: type[models.Model], rule: Rule | PrefixedRule, *, prefixed: bool = False
) -> None:
    """Add a rule for ``model``: a row is visible when any of the model's rules admits it.

    ``prefixed`` rules take a relation prefix as their second argument, which :func:`rule_q` passes
    when another model's rule follows this one (``rule_q(Application, v, "application__")``).
    """
    # ``prefixed`` says which of the two shapes ``rule`` has; mypy cannot tell them apart.
    if prefixed:
        RULES.setdefault(model, []).append(cast(PrefixedRule, rule))
        return
    plain = cast(Rule, rule)

    def unprefixed(v: Visibility, prefix: str) -> Q:
        if prefix:
            raise ValueError(f"the rule of {model.__name__} takes no prefix")
        return plain(v)

    RULES.setdefault(model, []).append(unprefixed)


def rule_q(model: type[models.Model], v: Visibility, prefix: str = "") -> Q:
    """What ``v`` may see of ``model`` (through ``prefix`` from a related model's rows); built
    once per visibility and model."""
    cached = v._filters.get((model, prefix))
    if cached is None:
        cached = v._filters[(model, prefix)] = _build_rule_q(model, v, prefix)
    return cached


def _build_rule_q(model: type[models.Model], v: Visibility, prefix: str) -> Q:
    rules = RULES.get(model)
    if not rules:
        raise LookupError(
            f"{model.__name__} has a VisibleManager but no rule registered with portal.visibility"
        )
    return any_of(*(rule(v, prefix) for rule in rules))


def any_of(*conditions: Q) -> Q:
    """The conditions OR-ed, leaving out those that name no value (``Q(pk__in=[])``, a branch the
    user holds no role for): such a test admits no row, yet it would be built into every query
    and compiled into every count and page of a list. No condition left admits nothing."""
    kept = [condition for condition in conditions if not _admits_nothing(condition)]
    if not kept:
        return Q(pk__in=[])
    combined = kept[0]
    for condition in kept[1:]:
        combined |= condition
    return combined


def _admits_nothing(condition: Q) -> bool:
    if condition.negated or len(condition.children) != 1:
        return False
    child = condition.children[0]
    if isinstance(child, Q):
        return _admits_nothing(child)
    if not isinstance(child, tuple) or len(child) != 2:
        return False
    lookup, value = child
    # Only literal collections: a queryset's emptiness is not known without running it.
    return (
        isinstance(lookup, str)
        and lookup.endswith("__in")
        and isinstance(value, list | tuple | set | frozenset)
        and not value
    )


def follows(model: type[models.Model], prefix: str) -> Rule:
    """A rule for rows that belong to a ``model`` row through ``prefix``: visible with it."""
    return lambda v: rule_q(model, v, prefix)


register(
    Organization,
    lambda v: any_of(Q(home_bureau_id__in=v.staff_bureau_ids), Q(pk__in=v.organization_ids)),
)
register(
    Membership,
    lambda v: any_of(
        Q(user_id=v.user_id),
        Q(bureau_id__in=v.staff_bureau_ids),
        Q(organization_id__in=v.organization_ids),
        Q(organization__home_bureau_id__in=v.staff_bureau_ids),
    ),
)
register(
    Deadline,
    lambda v: any_of(
        Q(bureau_id__in=v.staff_bureau_ids), Q(organization_id__in=v.organization_ids)
    ),
)
# Status events belong to the tenant of the record that moved: its bureau and its organization.
register(
    StatusEvent,
    lambda v: any_of(
        Q(actor_id=v.user_id),
        Q(bureau_id__in=v.staff_bureau_ids),
        Q(organization_id__in=v.organization_ids),
    ),
)
# An export job is its requester's alone: the file holds what their scope showed when they asked.
register(ExportJob, lambda v: Q(user_id=v.user_id))
register(
    AuditEvent,
    lambda v: any_of(
        Q(actor_id=v.user_id),
        Q(bureau_id__in=v.admin_bureau_ids),
        Q(organization_id__in=v.admin_organization_ids),
    ),
)


def visible_or_404(queryset: models.QuerySet[Any], **lookup: Any) -> Any:
    """The one object matching ``lookup`` that the current scope may see, else Http404.

    A foreign object answers exactly like a missing one; the attempt is written to the
    audit trail as an access denial.
    """
    from . import audit

    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        pass
    try:
        # Escape hatch: only to tell a denial (object exists elsewhere) from a miss for the
        # audit trail; nothing from the foreign row is returned.
        with scopes_disabled():
            exists = queryset.model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError, ValidationError):
        exists = False
    if exists:
        audit.record(
            action="access_denied",
            outcome=AuditEvent.Outcome.DENIED,
            object_type=queryset.model._meta.label_lower,
            object_id=str(next(iter(lookup.values()), "")),
        )
    raise Http404
