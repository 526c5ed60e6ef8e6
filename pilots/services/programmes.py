"""Pilot programmes: period, sub-industries and yearly targets, kept by the running bureau."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal import audit
from portal.models import Bureau, User
from portal.visibility import Visibility

from ..models import (
    PilotProgramme,
    ProgrammeTarget,
)
from ..permissions import can_set_targets


@transaction.atomic
def programme_target_set(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    year: int,
    metric: str,
    value: int,
    actor: User,
) -> ProgrammeTarget:
    if not can_set_targets(visibility, programme):
        raise PermissionDenied
    first = programme.approved_at.year - 1
    if not first <= year <= first + 6:
        raise ValidationError(
            _("The year must be between %(first)d and %(last)d."),
            code="target_year",
            params={"first": first, "last": first + 6},
        )
    if metric not in ProgrammeTarget.Metric.values:
        raise ValidationError(_("Choose an indicator from the list."), code="target_metric")
    target, _created = ProgrammeTarget.objects.update_or_create(
        programme=programme, year=year, metric=metric, defaults={"value": value}
    )
    audit.record_for(
        programme,
        action="programme_target_set",
        actor=actor,
        bureau=programme.bureau,
        detail={"year": year, "metric": metric, "value": value},
    )
    return target


def programme_update(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    starts_on: Any,
    ends_on: Any,
    sub_industries: list[str],
    actor: User,
) -> PilotProgramme:
    """Correct the period and sub-industries of the approved plan."""
    if not can_set_targets(visibility, programme):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if ends_on <= starts_on:
        errors["ends_on"] = _("The period must end after it starts.")
    names = list(dict.fromkeys(name.strip() for name in sub_industries if name.strip()))
    if not names:
        errors["sub_industries"] = _("Name at least one sub-industry.")
    elif (
        programme.bureau.level == Bureau.Level.CITY
        and len(names) > PilotProgramme.MAX_CITY_SUB_INDUSTRIES
    ):
        errors["sub_industries"] = _(
            "A city pilot takes at most %(max)d sub-industries (003 §三(一)); you listed %(count)d."
        ) % {"max": PilotProgramme.MAX_CITY_SUB_INDUSTRIES, "count": len(names)}
    if errors:
        raise ValidationError(errors)
    programme.starts_on, programme.ends_on, programme.sub_industries = starts_on, ends_on, names
    programme.save(update_fields=["starts_on", "ends_on", "sub_industries"])
    audit.record_for(
        programme,
        action="programme_updated",
        actor=actor,
        bureau=programme.bureau,
    )
    return programme
