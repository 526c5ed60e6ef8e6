"""Write use cases of pilot execution: enrolment (form and Excel import), the one-enterprise-one-
file record, digital-level assessments and the tripartite task book."""

import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import resources

from applications.book import Book
from evaluation.assessment import load_index, score
from evaluation.models import Assessment
from portal import audit, uscc
from portal.models import BUREAU_ROLES, AuditEvent, Organization, User
from portal.services import resolve_home_bureau
from portal.templatetags.portal_tags import join_list
from portal.visibility import Visibility

from .models import (
    Contract,
    ContractItem,
    DemandList,
    DemandRow,
    EnrolmentRequest,
    EnterpriseFileRevision,
    EnterpriseFileSection,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ProgrammeTarget,
    ServiceProvider,
    TaskBook,
    TaskBookSignature,
)

FILE_TEMPLATE = Path(__file__).resolve().parent / "shipped" / "enterprise_file_2025.json"
TARGET_LEVEL = 2  # level 2 or above after transformation (000 §四(四); 003 §三)


@lru_cache(maxsize=1)
def file_definition() -> dict[str, Any]:
    return json.loads(FILE_TEMPLATE.read_text(encoding="utf-8"))


def file_book() -> Book:
    return Book(file_definition())


# --- who may do what -------------------------------------------------------------------------------
def is_enterprise_side(visibility: Visibility, enterprise: PilotEnterprise) -> bool:
    """The enterprise itself or the leading unit serving it (parts 一–三 of 附2)."""
    return visibility.is_operator or bool(
        {enterprise.organization_id, enterprise.leading_unit.organization_id}
        & set(visibility.organization_ids)
    )


def is_county_side(visibility: Visibility, enterprise: PilotEnterprise) -> bool:
    """Bureau staff over the enterprise's county (part 四 of 附2, on-site assessments, party 甲)."""
    return visibility.is_operator or enterprise.bureau_id in visibility.staff_bureau_ids


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
COLUMNS = [
    "企业名称",
    "统一社会信用代码",
    "细分行业",
    "企业规模",
    "规上/规下",
    "企业梯度",
    "上年营业收入（万元）",
    "上年利润（万元）",
]
REQUIRED_COLUMNS = COLUMNS[:5]
MAX_ROWS = 2000


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
        self.enrolled = set(
            PilotEnterprise.objects.filter(leading_unit=leading_unit).values_list(
                "organization__uscc", flat=True
            )
        )

    def get_instance(self, instance_loader: Any, row: Any) -> None:
        return None  # an enrolment sheet only adds; duplicates are refused below

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        errors: dict[str, str] = {}
        name = str(row.get("企业名称") or "").strip()
        if not name:
            errors["企业名称"] = _("Enter the enterprise's name.")
        try:
            code = uscc.validate(str(row.get("统一社会信用代码") or ""))
        except ValidationError as error:
            errors["统一社会信用代码"] = error.messages[0]
            code = ""
        if code and code in self.seen:
            errors["统一社会信用代码"] = _("This code appears twice in the file.")
        elif code and code in self.enrolled:
            errors["统一社会信用代码"] = _(
                "This enterprise is already enrolled by your leading unit."
            )
        self.seen.add(code)
        scale = SCALES.get(str(row.get("企业规模") or "").strip())
        if scale is None:
            errors["企业规模"] = _("Write 中型, 小型 or 微型.")
        above = ABOVE.get(str(row.get("规上/规下") or "").strip())
        if above is None:
            errors["规上/规下"] = _("Write 规上 or 规下.")
        tier = TIERS.get(str(row.get("企业梯度") or "").strip())
        if tier is None:
            errors["企业梯度"] = _("Write 无, 创新型, 专精特新 or 小巨人.")
        numbers = {}
        for column, key in (("上年营业收入（万元）", "revenue"), ("上年利润（万元）", "profit")):
            raw = (
                str(row.get(column) if row.get(column) is not None else "").strip().replace(",", "")
            )
            try:
                numbers[key] = Decimal(raw) if raw else None
            except InvalidOperation:
                errors[column] = _("Enter a number, e.g. 12.5.")
        organization = None
        if code and not errors.get("统一社会信用代码"):
            # The enterprise may already be registered anywhere: matched by its code across
            # tenants; nothing of it is shown to the importer beyond what the row contains.
            organization = Organization._base_manager.filter(uscc=code).first()
            if organization is None:
                try:
                    home = resolve_home_bureau(code)
                except ValidationError as error:
                    errors["统一社会信用代码"] = " ".join(error.messages)
                else:
                    organization = Organization(uscc=code, name=name[:200], home_bureau=home)
                    organization.save()
        row["organization"] = organization.pk if organization else None
        row["sub_industry"] = str(row.get("细分行业") or "").strip()[:100]
        if not row["sub_industry"]:
            errors["细分行业"] = _("Enter the sub-industry.")
        row.update(
            scale=scale,
            above_scale=above,
            tier=tier,
            revenue=numbers.get("revenue"),
            profit=numbers.get("profit"),
        )
        row["_errors"] = errors
        row["_bureau"] = organization.home_bureau_id if organization else None

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
        dataset = tablib.Dataset().load(
            io.BytesIO(content)
            if filename.lower().endswith(".xlsx")
            else content.decode("utf-8-sig"),
            format="xlsx" if filename.lower().endswith(".xlsx") else "csv",
        )
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same message
        report.file_errors.append(
            _("The file could not be read: upload the template as XLSX or CSV.")
        )
        return report
    headers = [str(h or "").strip() for h in (dataset.headers or [])]
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
            _start_file(enterprise)
        report.imported = len(new)
        audit.record(
            action="enterprises_imported",
            outcome=AuditEvent.Outcome.SUCCESS,
            actor_id=actor.pk,
            bureau=leading_unit.bureau,
            organization=leading_unit.organization,
            object_type="pilots.leadingunit",
            object_id=str(leading_unit.pk),
            detail={"count": len(new), "file": filename[:100]},
        )
    return report


def _start_file(enterprise: PilotEnterprise) -> None:
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
    audit.record(
        action="assessment_saved",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="evaluation.assessment",
        object_id=str(assessment.pk),
        detail={"stage": stage, "kind": kind, "level": result.level},
    )
    return assessment


def counting_assessment(enterprise: PilotEnterprise, stage: str) -> Assessment | None:
    """The on-site assessment counts when there is one; otherwise the self-assessment."""
    found = {a.kind: a for a in enterprise.assessments.filter(stage=stage)}
    return found.get(Assessment.Kind.ONSITE) or found.get(Assessment.Kind.SELF)


# --- the tripartite task book (附3) --------------------------------------------------------------------------
def task_book_create(
    *, visibility: Visibility, enterprise: PilotEnterprise, actor: User, **fields: Any
) -> TaskBook:
    if not (
        is_county_side(visibility, enterprise)
        or enterprise.leading_unit.organization_id in visibility.organization_ids
    ):
        raise PermissionDenied
    if TaskBook.objects.filter(enterprise=enterprise).exists():
        raise ValidationError(_("This enterprise already has a task book."))
    book = TaskBook(
        enterprise=enterprise, created_by=actor, status=TaskBook.Status.SIGNING, **fields
    )
    book.full_clean()
    if book.ends_on <= book.starts_on:
        raise ValidationError({"ends_on": _("The task book must end after it starts.")})
    book.save()
    audit.record(
        action="task_book_created",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="pilots.taskbook",
        object_id=str(book.pk),
    )
    return book


def parties_of(visibility: Visibility, enterprise: PilotEnterprise) -> set[str]:
    """Which parties of the task book this user may sign for."""
    parties = set()
    if visibility.works_for(enterprise.bureau_id):
        parties.add(TaskBookSignature.Party.BUREAU)
    if enterprise.organization_id in visibility.organization_ids:
        parties.add(TaskBookSignature.Party.ENTERPRISE)
    if enterprise.leading_unit.organization_id in visibility.organization_ids:
        parties.add(TaskBookSignature.Party.PROVIDER)
    return parties


def task_book_sign(
    *, visibility: Visibility, task_book: TaskBook, party: str, actor: User
) -> TaskBook:
    enterprise = task_book.enterprise
    if party not in parties_of(visibility, enterprise):
        raise PermissionDenied
    if task_book.signatures.filter(party=party).exists():
        raise ValidationError(_("This party has already signed."))
    with transaction.atomic():
        TaskBookSignature(task_book=task_book, party=party, signed_by=actor).save()
        if task_book.signatures.count() == len(TaskBookSignature.Party.values):
            task_book.status = TaskBook.Status.SIGNED
            task_book.save(update_fields=["status"])
            PilotEnterprise.objects.filter(
                pk=enterprise.pk, status=PilotEnterprise.Status.ENROLLED
            ).update(status=PilotEnterprise.Status.CONTRACTED)
    audit.record(
        action="task_book_signed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="pilots.taskbook",
        object_id=str(task_book.pk),
        detail={"party": party},
    )
    return task_book


# --- completion and acceptance (002 附3) ----------------------------------------------------------------
ACCEPTANCE_WINDOW_DAYS = 7  # apply for acceptance within one week of completion (002 附3)


def transformation_complete(
    *, visibility: Visibility, enterprise: PilotEnterprise, completed_on: Any, actor: User
) -> PilotEnterprise:
    """The provider reports the transformation done; the enterprise then has a week to apply."""
    from datetime import datetime, time, timedelta

    from portal import deadlines

    if not (
        visibility.is_operator
        or enterprise.leading_unit.organization_id in visibility.organization_ids
    ):
        raise PermissionDenied
    if enterprise.status not in (
        PilotEnterprise.Status.CONTRACTED,
        PilotEnterprise.Status.IN_TRANSFORMATION,
    ):
        raise ValidationError(
            _("Only an enterprise with a signed task book can complete its transformation.")
        )
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("The completion date cannot be in the future.")})
    enterprise.status, enterprise.completed_on = PilotEnterprise.Status.COMPLETED, completed_on
    enterprise.save(update_fields=["status", "completed_on"])
    due = timezone.make_aware(
        datetime.combine(completed_on + timedelta(days=ACCEPTANCE_WINDOW_DAYS), time(23, 59))
    )
    deadlines.deadline_set(
        kind="acceptance_due",
        subject=enterprise,
        due_at=due,
        title=enterprise.organization.name,
        link=f"/pilots/enterprises/{enterprise.pk}/",
        bureau=enterprise.bureau,
        organization=enterprise.organization,
    )
    audit.record(
        action="transformation_completed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="pilots.pilotenterprise",
        object_id=str(enterprise.pk),
    )
    return enterprise


def acceptance_apply(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    material: Any,
    actor: User,
    today: Any = None,
) -> PilotEnterprise:
    """The enterprise applies for acceptance with its materials, within one week of completion."""
    from datetime import timedelta

    from applications.attachments import check_upload
    from portal import deadlines

    if not (visibility.is_operator or enterprise.organization_id in visibility.organization_ids):
        raise PermissionDenied
    if enterprise.status != PilotEnterprise.Status.COMPLETED:
        raise ValidationError(
            _("Acceptance is applied for once the transformation is reported complete.")
        )
    today = today or timezone.localdate()
    if today > enterprise.completed_on + timedelta(days=ACCEPTANCE_WINDOW_DAYS):
        raise ValidationError(
            _(
                "The transformation was completed on %(date)s: acceptance had to be applied for within one week (002 annex 3). "
                "Ask the county bureau how to proceed."
            )
            % {"date": enterprise.completed_on.isoformat()},
            code="too_late",
        )
    if material is None:
        raise ValidationError({"material": _("Upload the acceptance materials as one PDF.")})
    check_upload(material, allowed=["pdf"], max_mb=50)
    enterprise.acceptance_material.save("acceptance.pdf", material, save=False)
    enterprise.status, enterprise.acceptance_applied_at = (
        PilotEnterprise.Status.ACCEPTANCE_APPLIED,
        timezone.now(),
    )
    enterprise.save(update_fields=["status", "acceptance_applied_at", "acceptance_material"])
    deadlines.deadline_close(kind="acceptance_due", subject=enterprise)
    audit.record(
        action="acceptance_applied",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="pilots.pilotenterprise",
        object_id=str(enterprise.pk),
    )
    return enterprise


def acceptance_decide(
    *, visibility: Visibility, enterprise: PilotEnterprise, accepted: bool, note: str, actor: User
) -> PilotEnterprise:
    if not is_county_side(visibility, enterprise):
        raise PermissionDenied
    if enterprise.status != PilotEnterprise.Status.ACCEPTANCE_APPLIED:
        raise ValidationError(_("No acceptance application is waiting."))
    if not note.strip():
        raise ValidationError({"note": _("Record the reasons of the decision.")})
    enterprise.status = (
        PilotEnterprise.Status.ACCEPTED if accepted else PilotEnterprise.Status.REJECTED
    )
    enterprise.acceptance_note, enterprise.acceptance_decided_at = (
        note.strip()[:5000],
        timezone.now(),
    )
    enterprise.save(update_fields=["status", "acceptance_note", "acceptance_decided_at"])
    audit.record(
        action="acceptance_decided",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        object_type="pilots.pilotenterprise",
        object_id=str(enterprise.pk),
        detail={"accepted": accepted},
    )
    return enterprise


# --- alliance changes (004 §4.6, §4.8) -------------------------------------------------------------------
CHANGE_MATERIALS = ("licence", "legal_rep_id", "accounts", "credit_report")  # 004 §4.6.1
CHANGE_PUBLICITY_DAYS = 5
RENAME_NOTICE_WORKING_DAYS = 10  # reported 10 working days before the formalities (004 §4.8)


def alliance_change_file(
    *,
    visibility: Visibility,
    alliance: Any,
    kind: str,
    member_name: str,
    member_uscc: str,
    role: str,
    reason: str,
    planned_on: Any,
    materials: dict[str, Any],
    actor: User,
    today: Any = None,
) -> Any:
    """The leading unit files a change of its alliance."""
    from applications.attachments import check_upload
    from portal.workdays import add_working_days, working_days_between

    from .models import AllianceChange, AllianceMember

    if not (
        visibility.is_operator
        or alliance.leading_unit.organization_id in visibility.organization_ids
    ):
        raise PermissionDenied
    if kind not in AllianceChange.Kind.values:
        raise ValidationError(_("Unknown kind of change."))
    errors: dict[str, Any] = {}
    try:
        code = uscc.validate(member_uscc)
    except ValidationError as error:
        errors["member_uscc"] = error.messages
        code = ""
    if not member_name.strip():
        errors["member_name"] = [_("Enter the member's name.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the change.")]
    existing = set(alliance.members.values_list("uscc", flat=True))
    if kind == AllianceChange.Kind.ADD:
        if role not in (AllianceMember.Role.INTEGRATOR, AllianceMember.Role.ECOSYSTEM):
            errors["role"] = [_("Choose the new member's role.")]
        if code and code in existing:
            errors["member_uscc"] = [_("This organization is already in the alliance.")]
        for name in CHANGE_MATERIALS:
            if not materials.get(name):
                errors[name] = [_("Upload this material as a PDF (004 §4.6.1).")]
    elif code and code not in existing:
        errors["member_uscc"] = [_("This organization is not in the alliance.")]
    today = today or timezone.localdate()
    if kind == AllianceChange.Kind.RENAME:
        earliest = add_working_days(today, RENAME_NOTICE_WORKING_DAYS)
        if planned_on is None:
            errors["planned_on"] = [_("Enter the date of the formalities.")]
        elif planned_on < earliest:
            errors["planned_on"] = [
                _(
                    "Renames and reorganisations are reported 10 working days before the formalities (004 §4.8): "
                    "%(days)d working days remain before %(date)s; the earliest date is %(earliest)s."
                )
                % {
                    "days": working_days_between(today, planned_on),
                    "date": planned_on.isoformat(),
                    "earliest": earliest.isoformat(),
                }
            ]
    for name, upload in materials.items():
        if upload is not None and name not in errors:
            try:
                check_upload(upload, allowed=["pdf"], max_mb=30)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    change = AllianceChange(
        alliance=alliance,
        kind=kind,
        member_name=member_name.strip()[:200],
        member_uscc=code,
        role=role or "",
        reason=reason.strip(),
        planned_on=planned_on,
        filed_by=actor,
        status=AllianceChange.Status.REPORTED
        if kind == AllianceChange.Kind.RENAME
        else AllianceChange.Status.FILED,
    )
    for name, upload in materials.items():
        if upload is not None:
            getattr(change, name).save("material.pdf", upload, save=False)
    change.save()
    audit.record(
        action="alliance_change_filed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=alliance.bureau,
        organization=alliance.leading_unit.organization,
        object_type="pilots.alliancechange",
        object_id=str(change.pk),
    )
    return change


def alliance_change_review(
    *, visibility: Visibility, change: Any, approve: bool, note: str, actor: User
) -> Any:
    """The bureau reviews a filed change; an approved one goes on public notice (004 §4.6.2–3)."""
    from datetime import timedelta

    from .models import AllianceChange

    if not visibility.works_for(change.alliance.bureau_id):
        raise PermissionDenied
    if change.status != AllianceChange.Status.FILED:
        raise ValidationError(_("This change is not waiting for review."))
    if not note.strip():
        raise ValidationError({"note": _("Record the result of the review.")})
    change.review_note = note.strip()
    if approve:
        change.status, change.publicity_ends_at = (
            AllianceChange.Status.IN_PUBLICITY,
            timezone.now() + timedelta(days=CHANGE_PUBLICITY_DAYS),
        )
    else:
        change.status = AllianceChange.Status.REJECTED
    change.save(update_fields=["status", "review_note", "publicity_ends_at"])
    audit.record(
        action="alliance_change_reviewed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=change.alliance.bureau,
        object_type="pilots.alliancechange",
        object_id=str(change.pk),
        detail={"approved": approve},
    )
    return change


def alliance_change_publish(
    *, visibility: Visibility, change: Any, actor: User, now: Any = None
) -> Any:
    """After an uncontested notice the bureau publishes the changed member list (004 §4.6.3)."""
    from .models import AllianceChange, AllianceMember

    if not visibility.works_for(change.alliance.bureau_id):
        raise PermissionDenied
    if change.status != AllianceChange.Status.IN_PUBLICITY:
        raise ValidationError(_("This change is not in public notice."))
    if (now or timezone.now()) < change.publicity_ends_at:
        raise ValidationError(
            _("The public notice runs until %(end)s.")
            % {"end": timezone.localtime(change.publicity_ends_at).strftime("%Y-%m-%d %H:%M")}
        )
    with transaction.atomic():
        if change.kind == AllianceChange.Kind.ADD:
            # Link the new member to its registered organization, if any, across tenants.
            registered = (
                Organization._base_manager.filter(uscc=change.member_uscc)
                .values_list("pk", flat=True)
                .first()
            )
            AllianceMember(
                alliance=change.alliance,
                role=change.role,
                name=change.member_name,
                uscc=change.member_uscc,
                organization_id=registered,
            ).save()
        elif change.kind == AllianceChange.Kind.REMOVE:
            change.alliance.members.filter(uscc=change.member_uscc).exclude(
                role=AllianceMember.Role.LEADER
            ).delete()
        change.status = AllianceChange.Status.PUBLISHED
        change.save(update_fields=["status"])
    audit.record(
        action="alliance_change_published",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=change.alliance.bureau,
        object_type="pilots.alliancechange",
        object_id=str(change.pk),
    )
    return change


def catalogue_bureaus(visibility: Visibility) -> list[Any]:
    """Bureaus whose provider reference list the viewer may edit: bureau staff of that bureau
    (002 §三.2: the county publishes the list)."""
    from portal.models import Bureau

    return list(
        Bureau.objects.filter(pk__in=visibility.bureau_ids_with(BUREAU_ROLES)).order_by("path")
    )


@transaction.atomic
def provider_add(
    *, visibility: Visibility, bureau_id: int, data: dict[str, Any], actor: User
) -> ServiceProvider:
    if bureau_id not in visibility.bureau_ids_with(BUREAU_ROLES):
        raise PermissionDenied
    code = uscc.validate(data["uscc"])
    # Unscoped existence check within the caller's own bureau: answers only yes or no.
    if ServiceProvider._base_manager.filter(bureau_id=bureau_id, uscc=code).exists():
        raise ValidationError(
            _("This provider is already on the list (same unified social credit code)."),
            code="provider_duplicate",
        )
    provider = ServiceProvider.objects.create(
        bureau_id=bureau_id,
        name=data["name"],
        uscc=code,
        capability=data["capability"],
        field=data["field"],
        contact=data.get("contact", ""),
    )
    audit.record(
        action="provider_added",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=provider.bureau,
        object_type="pilots.serviceprovider",
        object_id=str(provider.pk),
    )
    return provider


@transaction.atomic
def product_add(
    *, visibility: Visibility, provider: ServiceProvider, data: dict[str, Any], actor: User
) -> Product:
    if provider.bureau_id not in visibility.bureau_ids_with(BUREAU_ROLES):
        raise PermissionDenied
    product = Product.objects.create(provider=provider, **data)
    audit.record(
        action="product_added",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=provider.bureau,
        object_type="pilots.product",
        object_id=str(product.pk),
    )
    return product


def can_set_targets(visibility: Visibility, programme: PilotProgramme) -> bool:
    """The bureau running the pilot keeps its yearly targets (it wrote them in its plan)."""
    return visibility.works_for(programme.bureau_id)


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
    audit.record(
        action="programme_target_set",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=programme.bureau,
        object_type="pilots.pilotprogramme",
        object_id=str(programme.pk),
        detail={"year": year, "metric": metric, "value": value},
    )
    return target


# --- an enterprise chooses its leading unit --------------------------------------------------------------
REQUEST_FIELDS = ["sub_industry", "scale", "above_scale", "tier", "revenue", "profit"]


def choosable_leading_units(visibility: Visibility) -> Any:
    """Active leading units of the bureaus above the user's enterprise (published after
    selection), which the enterprise may ask to be transformed by."""
    return LeadingUnit.objects.filter(
        status=LeadingUnit.Status.ACTIVE, bureau_id__in=visibility.home_bureau_line_ids
    ).select_related("organization", "bureau")


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
    audit.record(
        action="enrolment_requested",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        organization=organization,
        object_type="pilots.enrolmentrequest",
        object_id=str(request.pk),
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
            dataset = tablib.Dataset(headers=COLUMNS)
            dataset.append(
                [
                    request.organization.name,
                    request.organization.uscc,
                    request.sub_industry,
                    request.scale,
                    request.above_scale,
                    request.tier,
                    request.revenue,
                    request.profit,
                ]
            )
            report = enterprises_import(
                visibility=visibility,
                leading_unit=request.leading_unit,
                content=dataset.export("csv").encode(),
                filename="request.csv",
                confirm=True,
                actor=actor,
            )
            if not report.ok:
                errors = report.file_errors + [e for row in report.rows for e in row["errors"]]
                raise ValidationError(errors)
            request.status = EnrolmentRequest.Status.ACCEPTED
    else:
        raise ValidationError(_("Unknown action."), code="request_action")
    request.decided_at = timezone.now()
    request.decision_note = note[:500]
    request.save(update_fields=["status", "decided_at", "decision_note"])
    audit.record(
        action=f"enrolment_request_{request.status}",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        organization=request.organization,
        object_type="pilots.enrolmentrequest",
        object_id=str(request.pk),
    )
    return request


# --- the transformation contract ---------------------------------------------------------------------------
@transaction.atomic
def contract_save(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    data: dict[str, Any],
    items: list[dict[str, Any]],
    actor: User,
) -> Contract:
    """Draft or redraft the contract with its itemised products; a signed contract is final."""
    if not is_enterprise_side(visibility, enterprise):
        raise PermissionDenied
    if data["ends_on"] <= data["starts_on"]:
        raise ValidationError(
            {"ends_on": _("The contract must end after it starts.")}, code="contract_period"
        )
    if not items:
        raise ValidationError(
            _("List at least one product or service with its price."), code="contract_items"
        )
    contract = Contract.objects.select_for_update().filter(enterprise=enterprise).first()
    if contract is not None and contract.status == Contract.Status.SIGNED:
        raise ValidationError(_("The contract is signed and can no longer be changed."))
    if contract is None:
        contract = Contract(enterprise=enterprise)
    for key, value in data.items():
        setattr(contract, key, value)
    contract.updated_by = actor
    contract.save()
    ContractItem.objects.filter(contract=contract).delete()
    ContractItem.objects.bulk_create(
        ContractItem(contract=contract, position=n, **item) for n, item in enumerate(items, 1)
    )
    audit.record(
        action="contract_saved",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        organization=enterprise.organization,
        object_type="pilots.contract",
        object_id=str(contract.pk),
        detail={"items": len(items)},
    )
    return contract


@transaction.atomic
def contract_sign(
    *, visibility: Visibility, contract: Contract, signed_on: Any, actor: User
) -> Contract:
    """Record that the paper contract is signed; the leading unit reports it (004 §2.2.11)."""
    enterprise = contract.enterprise
    if not (
        visibility.is_operator
        or enterprise.leading_unit.organization_id in visibility.organization_ids
    ):
        raise PermissionDenied
    if contract.status == Contract.Status.SIGNED:
        raise ValidationError(_("The contract is already signed."))
    if signed_on > timezone.localdate():
        raise ValidationError(_("The signing date cannot be in the future."))
    contract.status, contract.signed_on = Contract.Status.SIGNED, signed_on
    contract.save(update_fields=["status", "signed_on", "updated_at"])
    audit.record(
        action="contract_signed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        organization=enterprise.organization,
        object_type="pilots.contract",
        object_id=str(contract.pk),
    )
    return contract


# --- the demand, problem and scenario list (002 附4) -------------------------------------------------------
def demand_list_create(
    *, visibility: Visibility, bureau_id: int, sub_industry: str, actor: User
) -> DemandList:
    if not visibility.works_for(bureau_id):
        raise PermissionDenied
    sub_industry = sub_industry.strip()
    if not sub_industry:
        raise ValidationError({"sub_industry": _("Name the sub-industry.")})
    # One list per sub-industry (附4: "每个细分行业填写一张"); an unscoped yes/no within the
    # caller's own bureau, to match the database constraint.
    if DemandList._base_manager.filter(bureau_id=bureau_id, sub_industry=sub_industry).exists():
        raise ValidationError(
            {"sub_industry": _("This sub-industry already has a list.")}, code="demand_duplicate"
        )
    demand_list = DemandList.objects.create(bureau_id=bureau_id, sub_industry=sub_industry)
    audit.record(
        action="demand_list_created",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=demand_list.bureau,
        object_type="pilots.demandlist",
        object_id=str(demand_list.pk),
    )
    return demand_list


def demand_row_add(
    *, visibility: Visibility, demand_list: DemandList, data: dict[str, Any], actor: User
) -> DemandRow:
    if not visibility.works_for(demand_list.bureau_id):
        raise PermissionDenied
    product = data.get("product")
    if product is not None and product.provider.bureau_id != demand_list.bureau_id:
        raise ValidationError({"product": _("Choose a product from this county's list.")})
    row = DemandRow.objects.create(demand_list=demand_list, **data)
    audit.record(
        action="demand_row_added",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=demand_list.bureau,
        object_type="pilots.demandlist",
        object_id=str(demand_list.pk),
    )
    return row


def demand_row_delete(*, visibility: Visibility, row: DemandRow, actor: User) -> None:
    demand_list = row.demand_list
    if not visibility.works_for(demand_list.bureau_id):
        raise PermissionDenied
    row.delete()
    audit.record(
        action="demand_row_deleted",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=demand_list.bureau,
        object_type="pilots.demandlist",
        object_id=str(demand_list.pk),
    )


def demand_list_xlsx(demand_list: DemandList, rows: list[DemandRow]) -> bytes:
    """The list in the 附4 layout: rows grouped by direction, products with price and provider."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from applications.exports import safe_cell

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "附4"
    sheet.append(["中小企业数字化转型需求、问题和场景清单及适配产品库"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"县（市、区）：{demand_list.bureau.region_name}",
            "",
            f"细分行业：{demand_list.sub_industry}",
            "",
            "",
            "单位：万元",
        ]
    )
    sheet.append(
        [
            "方向",
            "问题",
            "需求",
            "场景描述",
            "改造总投资预算",
            "产品名称",
            "产品简述",
            "价格",
            "服务商",
        ]
    )
    for direction in Product.DIRECTIONS:
        for row in [r for r in rows if r.direction == direction] or [None]:
            product = row.product if row else None
            sheet.append(
                [
                    safe_cell(value)
                    for value in (
                        direction,
                        row.problem if row else "",
                        row.need if row else "",
                        row.scenario if row else "",
                        float(row.budget_wan) if row else None,
                        product.name if product else "",
                        product.summary if product else "",
                        float(product.price_wan) if product else None,
                        product.provider.name if product else "",
                    )
                ]
            )
    for column, width in zip("ABCDEFGHI", (18, 30, 30, 30, 14, 20, 30, 10, 24), strict=True):
        sheet.column_dimensions[column].width = width
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    from portal.models import Bureau

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
    audit.record(
        action="programme_updated",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        bureau=programme.bureau,
        object_type="pilots.pilotprogramme",
        object_id=str(programme.pk),
    )
    return programme
