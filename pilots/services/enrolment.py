"""Enrolment of pilot enterprises: the Excel import, and an enterprise's own request to a leading
unit of its area (000 §四; 003 §二(四))."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import resources

from portal import audit, uscc
from portal.imports import load_sheet
from portal.models import Organization, User
from portal.services import organization_record
from portal.templatetags.portal_tags import join_list
from portal.visibility import Visibility

from ..models import (
    EnrolmentRequest,
    LeadingUnit,
    PilotEnterprise,
)
from ..selectors import choosable_leading_units
from .records import file_start

# --- enrolment ----------------------------------------------------------------------------------------
SCALES = {
    "中型": "medium",
    "中型企业": "medium",
    "小型": "small",
    "小型企业": "small",
    "微型": "micro",
    "微型企业": "micro",
}
ABOVE = {"规上": True, "规模以上企业": True, "规下": False, "规模以下企业": False}
TIERS = {
    "": "none",
    "无": "none",
    "创新型": "innovative",
    "创新型中小企业": "innovative",
    "专精特新": "specialised",
    "专精特新中小企业": "specialised",
    "小巨人": "little_giant",
    "专精特新“小巨人”": "little_giant",
}
# The enrolment sheet's columns, by field of :class:`EnrolmentData` (the official words).
FIELD_COLUMNS = {
    "name": "企业名称",
    "uscc": "统一社会信用代码",
    "sub_industry": "细分行业",
    "scale": "企业规模",
    "above_scale": "规上/规下",
    "tier": "企业梯度",
    "revenue": "上年营业收入（万元）",
    "profit": "上年利润（万元）",
}
COLUMNS = list(FIELD_COLUMNS.values())
REQUIRED_COLUMNS = COLUMNS[:5]
MAX_ROWS = 2000


@dataclass(frozen=True)
class EnrolmentData:
    """One enterprise to enrol, in codes (a sheet's words are translated before)."""

    name: str
    uscc: str
    sub_industry: str
    scale: str  # PilotEnterprise.Scale
    above_scale: bool
    tier: str = PilotEnterprise.Tier.NONE
    revenue: Decimal | None = None
    profit: Decimal | None = None


def scale_code(word: Any) -> str | None:
    """中型/小型/微型 (or a code) → PilotEnterprise.Scale; None when not one of them."""
    word = str(word if word is not None else "").strip()
    return word if word in PilotEnterprise.Scale.values else SCALES.get(word)


def above_scale_code(word: Any) -> bool | None:
    """规上/规下 (or a boolean) → above designated size; None when neither."""
    if isinstance(word, bool):
        return word
    return ABOVE.get(str(word if word is not None else "").strip())


def tier_code(word: Any) -> str | None:
    word = str(word if word is not None else "").strip()
    return word if word in PilotEnterprise.Tier.values else TIERS.get(word)


def enrolment_check(
    *,
    leading_unit: LeadingUnit,
    data: EnrolmentData,
    seen: set[str],
    enrolled: set[str],
) -> tuple[dict[str, str], Organization | None]:
    """The checks every enrolment passes, whether by sheet, form or request: errors by field of
    ``data``, and the enterprise's organization (found by its code across tenants, or recorded
    when the portal does not know it yet)."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("Enter the enterprise's name.")
    try:
        code = uscc.validate(data.uscc)
    except ValidationError as error:
        errors["uscc"] = error.messages[0]
        code = ""
    if code and code in seen:
        errors["uscc"] = _("This code appears twice in the file.")
    elif code and code in enrolled:
        errors["uscc"] = _("This enterprise is already enrolled by your leading unit.")
    seen.add(code)
    if not data.sub_industry.strip():
        errors["sub_industry"] = _("Enter the sub-industry.")
    organization = None
    if code and "uscc" not in errors:
        try:
            organization = organization_record(uscc_code=code, name=data.name.strip())
        except ValidationError as error:
            errors["uscc"] = " ".join(error.messages)
    return errors, organization


def _enrolled_codes(leading_unit: LeadingUnit) -> set[str]:
    return set(
        PilotEnterprise.objects.filter(leading_unit=leading_unit).values_list(
            "organization__uscc", flat=True
        )
    )


@transaction.atomic
def enterprise_enrol(
    *,
    visibility: Visibility,
    leading_unit: LeadingUnit,
    data: EnrolmentData,
    actor: User,
) -> PilotEnterprise:
    """Enrol one enterprise (by form, or by accepting its request) with the sheet's checks."""
    _require_leading_unit_member(visibility, leading_unit)
    errors, organization = enrolment_check(
        leading_unit=leading_unit, data=data, seen=set(), enrolled=_enrolled_codes(leading_unit)
    )
    if errors or organization is None:
        raise ValidationError(errors)
    enterprise = PilotEnterprise(
        organization=organization,
        leading_unit=leading_unit,
        bureau_id=organization.home_bureau_id,
        sub_industry=data.sub_industry.strip()[:100],
        scale=data.scale,
        above_scale=data.above_scale,
        tier=data.tier,
        revenue=data.revenue,
        profit=data.profit,
    )
    enterprise.full_clean()
    enterprise.save()
    file_start(enterprise)
    audit.record_for(
        enterprise,
        action="enterprise_enrolled",
        actor=actor,
        bureau=enterprise.bureau,
        organization=organization,
    )
    return enterprise


def enrolment_row(row: Any) -> tuple[EnrolmentData, dict[str, str]]:
    """A row of the enrolment sheet (its official words) as codes, with the problems of its
    words by column; the checks every enrolment passes follow in :func:`enrolment_check`."""
    errors: dict[str, str] = {}
    scale = scale_code(row.get(FIELD_COLUMNS["scale"]))
    if scale is None:
        errors[FIELD_COLUMNS["scale"]] = _("Write 中型, 小型 or 微型.")
    above = above_scale_code(row.get(FIELD_COLUMNS["above_scale"]))
    if above is None:
        errors[FIELD_COLUMNS["above_scale"]] = _("Write 规上 or 规下.")
    tier = tier_code(row.get(FIELD_COLUMNS["tier"]))
    if tier is None:
        errors[FIELD_COLUMNS["tier"]] = _("Write 无, 创新型, 专精特新 or 小巨人.")
    numbers: dict[str, Decimal | None] = {}
    for key in ("revenue", "profit"):
        value = row.get(FIELD_COLUMNS[key])
        raw = str(value if value is not None else "").strip().replace(",", "")
        try:
            numbers[key] = Decimal(raw) if raw else None
        except InvalidOperation:
            errors[FIELD_COLUMNS[key]] = _("Enter a number, e.g. 12.5.")
    data = EnrolmentData(
        name=str(row.get(FIELD_COLUMNS["name"]) or "").strip()[:200],
        uscc=str(row.get(FIELD_COLUMNS["uscc"]) or ""),
        sub_industry=str(row.get(FIELD_COLUMNS["sub_industry"]) or "").strip()[:100],
        scale=scale or "",
        above_scale=bool(above),
        tier=tier or "",
        revenue=numbers.get("revenue"),
        profit=numbers.get("profit"),
    )
    return data, errors


class EnterpriseResource(resources.ModelResource):
    """Rows of the enrolment sheet → pilot enterprises of one leading unit. Every row is checked
    in ``before_import_row``; a row with problems is invalid, and then nothing is imported."""

    class Meta:
        model = PilotEnterprise
        # The organization is resolved by before_import_row (by USCC, as the portal), not by a
        # widget lookup through the importer's own visibility, which cannot see the enterprise yet.
        fields = ("sub_industry", "scale", "above_scale", "tier", "revenue", "profit")
        skip_diff = True
        clean_model_instances = True
        use_bulk = False

    def __init__(self, *, leading_unit: LeadingUnit) -> None:
        super().__init__()
        self.leading_unit = leading_unit
        self.seen: set[str] = set()
        self.enrolled = _enrolled_codes(leading_unit)

    def get_instance(self, instance_loader: Any, row: Any) -> None:
        return None  # an enrolment sheet only adds; duplicates are refused below

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        data, errors = enrolment_row(row)
        field_errors, organization = enrolment_check(
            leading_unit=self.leading_unit, data=data, seen=self.seen, enrolled=self.enrolled
        )
        errors.update({FIELD_COLUMNS[key]: message for key, message in field_errors.items()})
        row.update(
            organization=organization.pk if organization else None,
            sub_industry=data.sub_industry,
            scale=data.scale or None,
            above_scale=data.above_scale,
            tier=data.tier or None,
            revenue=data.revenue,
            profit=data.profit,
            _errors=errors,
            _bureau=organization.home_bureau_id if organization else None,
        )

    def import_instance(self, instance: PilotEnterprise, row: Any, **kwargs: Any) -> None:
        if row.get("_errors"):
            raise ValidationError(row["_errors"])
        super().import_instance(instance, row, **kwargs)
        instance.organization_id = row["organization"]
        instance.leading_unit = self.leading_unit
        instance.bureau_id = row["_bureau"]


@dataclass
class ImportReport:
    file_errors: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(not r["errors"] for r in self.rows)


def _require_leading_unit_member(visibility: Visibility, leading_unit: LeadingUnit) -> None:
    if not (visibility.is_operator or leading_unit.organization_id in visibility.organization_ids):
        raise PermissionDenied


def enterprises_import(
    *,
    visibility: Visibility,
    leading_unit: LeadingUnit,
    content: bytes,
    filename: str,
    confirm: bool,
    actor: User,
) -> ImportReport:
    """Check a sheet (dry run) or import it (``confirm``): all rows or none."""
    _require_leading_unit_member(visibility, leading_unit)
    report = ImportReport()
    try:
        dataset = load_sheet(content, filename)
    except ValidationError as error:
        report.file_errors.extend(error.messages)
        return report
    headers = dataset.headers
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        report.file_errors.append(
            _("Columns missing: %(columns)s.") % {"columns": join_list(missing)}
        )
        return report
    dataset.headers = headers
    if not 1 <= len(dataset) <= MAX_ROWS:
        report.file_errors.append(
            _("The sheet must have between 1 and %(max)d rows.") % {"max": MAX_ROWS}
        )
        return report
    resource = EnterpriseResource(leading_unit=leading_unit)
    result = resource.import_data(
        dataset,
        dry_run=not confirm,
        use_transactions=True,
        rollback_on_validation_errors=True,
        collect_failed_rows=False,
    )
    invalid = {row.number: row for row in result.invalid_rows}
    failed = {number: errors for number, errors in result.row_errors()}
    for number, values in enumerate(dataset.dict, 1):
        errors = []
        if number in invalid:
            # The row's own checks speak in the sheet's columns; the model's follow-up complaints
            # about the fields those checks left empty would only repeat them.
            errors += [
                f"{column}：{message}"
                for column, messages in invalid[number].error_dict.items()
                if column in COLUMNS
                for message in messages
            ]
        if number in failed:
            errors += [_("This row could not be imported.")]
        report.rows.append(
            {
                "number": number,
                "name": values.get("企业名称"),
                "uscc": values.get("统一社会信用代码"),
                "errors": errors,
            }
        )
    if confirm and report.ok:
        new = list(
            PilotEnterprise.objects.filter(
                leading_unit=leading_unit, file_sections__isnull=True
            ).select_related("organization")
        )
        for enterprise in new:
            file_start(enterprise)
        report.imported = len(new)
        audit.record_for(
            leading_unit,
            action="enterprises_imported",
            actor=actor,
            bureau=leading_unit.bureau,
            organization=leading_unit.organization,
            detail={"count": len(new), "file": filename[:100]},
        )
    return report


# --- an enterprise chooses its leading unit --------------------------------------------------------------
REQUEST_FIELDS = ["sub_industry", "scale", "above_scale", "tier", "revenue", "profit"]


@transaction.atomic
def enrolment_request_create(
    *,
    visibility: Visibility,
    organization: Organization,
    leading_unit: LeadingUnit,
    data: dict[str, Any],
    actor: User,
) -> EnrolmentRequest:
    if organization.pk not in visibility.admin_organization_ids:
        raise PermissionDenied
    if not choosable_leading_units(visibility).filter(pk=leading_unit.pk).exists():
        raise ValidationError(_("Choose a leading unit serving your area."), code="request_unit")
    if leading_unit.sub_industries and data["sub_industry"] not in leading_unit.sub_industries:
        raise ValidationError(
            _("This leading unit serves %(list)s; choose one of them as your sub-industry."),
            code="request_sub_industry",
            params={"list": join_list(leading_unit.sub_industries)},
        )
    # Enrolled by any leading unit, including ones the enterprise cannot see: yes or no only.
    if PilotEnterprise._base_manager.filter(organization=organization).exists():
        raise ValidationError(
            _("Your enterprise is already a pilot enterprise."), code="request_enrolled"
        )
    # Own requests only (the organization is the caller's); unscoped to use the same check as
    # the database constraint.
    if EnrolmentRequest._base_manager.filter(organization=organization, status="pending").exists():
        raise ValidationError(
            _("Your enterprise already has a request waiting for an answer; withdraw it first."),
            code="request_pending",
        )
    request = EnrolmentRequest.objects.create(
        organization=organization, leading_unit=leading_unit, created_by=actor, **data
    )
    audit.record_for(
        request,
        action="enrolment_requested",
        actor=actor,
        organization=organization,
    )
    return request


@transaction.atomic
def enrolment_request_decide(
    *,
    visibility: Visibility,
    request: EnrolmentRequest,
    action: str,
    note: str,
    actor: User,
) -> EnrolmentRequest:
    """accept/decline by the leading unit, withdraw by the enterprise; only while pending."""
    request = EnrolmentRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != EnrolmentRequest.Status.PENDING:
        raise ValidationError(_("This request has already been answered."), code="request_closed")
    if action == "withdraw":
        if request.organization_id not in visibility.admin_organization_ids:
            raise PermissionDenied
        request.status = EnrolmentRequest.Status.WITHDRAWN
    elif action in ("accept", "decline"):
        _require_leading_unit_member(visibility, request.leading_unit)
        if action == "decline":
            if not note:
                raise ValidationError(
                    _("Give the enterprise a reason for declining."), code="request_reason"
                )
            request.status = EnrolmentRequest.Status.DECLINED
        else:
            organization = request.organization
            enterprise_enrol(
                visibility=visibility,
                leading_unit=request.leading_unit,
                data=EnrolmentData(
                    name=organization.name,
                    uscc=organization.uscc,
                    sub_industry=request.sub_industry,
                    scale=request.scale,
                    above_scale=request.above_scale,
                    tier=request.tier,
                    revenue=request.revenue,
                    profit=request.profit,
                ),
                actor=actor,
            )
            request.status = EnrolmentRequest.Status.ACCEPTED
    else:
        raise ValidationError(_("Unknown action."), code="request_action")
    request.decided_at = timezone.now()
    request.decision_note = note[:500]
    request.save(update_fields=["status", "decided_at", "decision_note"])
    audit.record_for(
        request,
        action=f"enrolment_request_{request.status}",
        actor=actor,
        organization=request.organization,
    )
    return request
