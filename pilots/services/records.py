"""The one-enterprise-one-file record (002 附2) and digital-level assessments."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.book import Book
from portal.models import User
from portal.visibility import Visibility

from ..assessment import load_index, score
from ..models import (
    Assessment,
    EnterpriseFileRevision,
    EnterpriseFileSection,
    PilotEnterprise,
)
from ..permissions import is_county_side, is_enterprise_side

FILE_TEMPLATE = Path(__file__).resolve().parent.parent / "shipped" / "enterprise_file_2025.json"


@lru_cache(maxsize=1)
def file_definition() -> dict[str, Any]:
    return json.loads(FILE_TEMPLATE.read_text(encoding="utf-8"))


def file_book() -> Book:
    return Book(file_definition())


def file_start(enterprise: PilotEnterprise) -> None:
    organization = enterprise.organization
    for section in file_book().sections:
        data = (
            {
                spec["key"]: str(getattr(organization, spec["prefill"].split(".", 1)[1], "") or "")
                for spec in section.get("fields", [])
                if spec.get("prefill")
            }
            if section["type"] == "fields"
            else {}
        )
        EnterpriseFileSection(enterprise=enterprise, key=section["key"], data=data).save()


# --- the one-enterprise-one-file record (附2) ------------------------------------------------------------
def file_save_section(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    key: str,
    post: Any,
    base_version: int,
    actor: User,
) -> EnterpriseFileSection:
    book = file_book()
    if not book.has_section(key):
        raise ValidationError(_("There is no such section."))
    filled_by = book.section(key).get("filled_by")
    allowed = (
        is_county_side(visibility, enterprise)
        if filled_by == "county"
        else is_enterprise_side(visibility, enterprise)
    )
    if not allowed:
        raise PermissionDenied
    data = book.raw_from_post(key, post)
    with transaction.atomic():
        updated = EnterpriseFileSection.objects.filter(
            enterprise=enterprise, key=key, version=base_version
        ).update(data=data, version=F("version") + 1, updated_by=actor, updated_at=timezone.now())
        if not updated:
            raise ValidationError(
                _(
                    "This section was changed in another window or by a colleague since you opened it. "
                    "Your changes were not saved: copy them, reload the page and apply them again."
                ),
                code="conflict",
            )
        section = EnterpriseFileSection.objects.get(enterprise=enterprise, key=key)
        EnterpriseFileRevision(
            enterprise=enterprise, key=key, data=data, version=section.version, saved_by=actor
        ).save()
    return section


# --- digital-level assessments ------------------------------------------------------------------------------
def assessment_save(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    stage: str,
    kind: str,
    answers: dict[str, Any],
    actor: User,
) -> Assessment:
    """Self-assessment by the enterprise (with its provider), or the on-site assessment by the bureau."""
    if stage not in Assessment.Stage.values or kind not in Assessment.Kind.values:
        raise ValidationError(_("Unknown kind of assessment."))
    allowed = (
        is_county_side(visibility, enterprise)
        if kind == Assessment.Kind.ONSITE
        else is_enterprise_side(visibility, enterprise)
    )
    if not allowed:
        raise PermissionDenied
    result = score(load_index(2024), answers)
    assessment, _created = Assessment.objects.update_or_create(
        enterprise=enterprise,
        stage=stage,
        kind=kind,
        defaults={
            "answers": answers,
            "base_score": result.base,
            "level": result.level,
            "assessed_by": actor,
            "dimension_scores": {k: str(v) for k, v in result.dimensions.items()},
        },
    )
    audit.record_for(
        assessment,
        action="assessment_saved",
        actor=actor,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        detail={"stage": stage, "kind": kind, "level": result.level},
    )
    return assessment
