"""Who sees calls and application books (DESIGN.md §3), registered with the core's rules."""

from typing import cast

from django.db import connection
from django.db.models import Q

from portal.models import BUREAU_ROLES
from portal.visibility import Visibility, any_of, follows, register

from .models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Attachment,
    Call,
    CallTemplate,
    CorrectionRequest,
)

# Application statuses hidden from the issuing bureau: drafts are the applicant's own; when the
# call asks for county recommendation (001 §三), the city sees a book only once recommended.
_PRIVATE_STATUSES = ("draft", "withdrawn")
_BEFORE_RECOMMENDATION = ("submitted", "not_recommended")


def _calls_for_staff(v: Visibility) -> tuple[list[int], list[int], list[int]]:
    """The calls a staff member's rule names: those issued by the user's bureaus and the bureaus
    below them, without and with county recommendation, and those of the bureaus above them that
    ask for recommendation. Calls are few, so they are read once and listed in the rule."""

    def read() -> tuple[list[int], list[int], list[int]]:
        line = sorted(v.staff_bureau_ids | v.bureau_ids_above)
        table = connection.ops.quote_name(Call._meta.db_table)
        holes = ", ".join(["%s"] * len(line))
        # The model's own table and fixed clauses; the bureaus are parameters.
        sql = f"SELECT id, bureau_id, requires_recommendation FROM {table} WHERE bureau_id IN ({holes}) ORDER BY id"  # noqa: S608
        # Raw SQL: the calls of the viewer's bureau line (ids only), read once by every staff
        # request that lists books, while its scope is built; composing it cost more than it.
        with connection.cursor() as cursor:
            cursor.execute(sql, line)
            rows = cursor.fetchall()
        plain: list[int] = []
        recommended: list[int] = []
        from_above: list[int] = []
        for pk, bureau_id, requires_recommendation in rows:
            if bureau_id not in v.staff_bureau_ids:
                if requires_recommendation:
                    from_above.append(pk)
            else:
                (recommended if requires_recommendation else plain).append(pk)
        return plain, recommended, from_above

    return cast(tuple[list[int], list[int], list[int]], v.remember("applications.calls", read))


def application_q(v: Visibility, prefix: str = "") -> Q:
    """Who sees an application (and, with ``prefix``, the rows that belong to one).

    Every test is on a column of the book itself (its call, status and the bureau it is filed
    with), so a staff list is read and counted on the book's own indexes; a branch the user holds
    no role for, or that lists nothing, is left out altogether.
    """
    p = prefix
    own = Q(**{f"{p}organization_id__in": v.organization_ids})
    if not v.staff_bureau_ids:
        return any_of(own)
    before_recommendation = Q(**{f"{p}status__in": _BEFORE_RECOMMENDATION})
    plain_calls, recommended_calls, calls_from_above = _calls_for_staff(v)
    arms = []
    # The issuing bureau (and those above it) sees the filed books of its calls; when the call
    # asks for county recommendation (001 §三), only once the county recommended them.
    if plain_calls:
        arms.append(Q(**{f"{p}call_id__in": plain_calls}))
    if recommended_calls:
        arms.append(Q(**{f"{p}call_id__in": recommended_calls}) & ~before_recommendation)
    # The bureau a book is filed with (the county) sees and recommends it; only its own staff,
    # not those above, or the city would see books before recommendation.
    own_bureaus = v.bureau_ids_with(BUREAU_ROLES)
    arms.append(Q(**{f"{p}home_bureau_id__in": own_bureaus}))
    # A bureau between the county and the issuer (a city under a provincial call) sees what its
    # counties recommended up, so its 推荐汇总表 rolls up their rows (001 §三(二):
    # 县初审后择优推荐). Books filed with the user's own bureaus are admitted above.
    below = v.staff_bureau_ids - own_bureaus
    if below and calls_from_above:
        arms.append(
            Q(**{f"{p}call_id__in": calls_from_above})
            & Q(**{f"{p}home_bureau_id__in": below})
            & ~before_recommendation
        )
    # Drafts and withdrawn books are the applicant's own.
    staff = any_of(*arms) & ~Q(**{f"{p}status__in": _PRIVATE_STATUSES})
    return any_of(own, staff)


def register_rules() -> None:
    register(
        Call,
        lambda v: Q(status__in=("published", "closed")) | Q(bureau_id__in=v.staff_bureau_ids),
    )
    register(
        CallTemplate,
        lambda v: Q(owner_bureau__isnull=True) | Q(owner_bureau_id__in=v.staff_bureau_ids),
    )
    register(Application, application_q, prefixed=True)
    for model in (ApplicationSection, ApplicationEvent, Attachment, CorrectionRequest):
        register(model, follows(Application, "application__"))
