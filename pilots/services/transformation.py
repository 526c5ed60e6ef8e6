"""Transformation of one enterprise: the contract, the tripartite task book (002 附3), completion
and acceptance."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, deadlines, workflow
from portal.models import User
from portal.uploads import check_upload
from portal.visibility import Visibility

from ..models import (
    Contract,
    ContractItem,
    PilotEnterprise,
    TaskBook,
    TaskBookSignature,
)
from ..permissions import is_county_side, is_enterprise_side, parties_of


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
    _check_task_book(book)
    book.save()
    audit.record_for(
        book,
        action="task_book_created",
        actor=actor,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
    )
    return book


def _check_task_book(book: TaskBook) -> None:
    """What 002 附3 prints and the model alone does not require: the project's name, party B's
    bank details (§十), and a schedule whose rows each carry their investment (§二(二)) adding up
    to the total budget (§三)."""
    errors: dict[str, str] = {}
    if book.ends_on <= book.starts_on:
        errors["ends_on"] = _("The task book must end after it starts.")
    for name in ("project_name", "bank_account_name", "bank_name", "bank_account_number"):
        if not getattr(book, name).strip():
            errors[name] = _("This field is required.")
    number = book.bank_account_number.replace(" ", "").replace("-", "")
    if number and not (number.isdigit() and 6 <= len(number) <= 32):
        errors["bank_account_number"] = _(
            "An account number has 6 to 32 digits (spaces and hyphens are allowed)."
        )
    rows = book.schedule if isinstance(book.schedule, list) else []
    if not rows:
        errors["schedule"] = _("List at least one row of the schedule.")
    total = Decimal(0)
    for number_, row in enumerate(rows, 1):
        try:
            investment = Decimal(str(row.get("investment", "")))
        except (InvalidOperation, AttributeError):
            investment = Decimal(-1)
        if (
            not isinstance(row, dict)
            or not str(row.get("period", "")).strip()
            or not str(row.get("work", "")).strip()
            or not investment.is_finite()
            or investment < 0
        ):
            errors["schedule"] = _(
                "Row %(number)d of the schedule needs its period, its work and its investment"
                " (10k yuan, not negative)."
            ) % {"number": number_}
            break
        total += investment
    else:
        if rows and total != book.budget_wan:
            errors["schedule"] = _(
                "The investments of the schedule add up to %(total)s (10k yuan), but the total"
                " budget is %(budget)s."
            ) % {"total": total.normalize(), "budget": Decimal(book.budget_wan).normalize()}
    if errors:
        raise ValidationError(errors)


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
            workflow.transition(
                task_book,
                TaskBook.Status.SIGNED,
                actor=actor,
                action="task_book_signed_by_all",
                bureau=enterprise.bureau,
                organization=enterprise.organization,
            )
            # The three signatures make the enterprise contracted (002 附3), once.
            locked = PilotEnterprise.objects.select_for_update().get(pk=enterprise.pk)
            if locked.status == PilotEnterprise.Status.ENROLLED:
                workflow.transition(
                    locked,
                    PilotEnterprise.Status.CONTRACTED,
                    actor=actor,
                    action="enterprise_contracted",
                    bureau=enterprise.bureau,
                    organization=enterprise.organization,
                )
    audit.record_for(
        task_book,
        action="task_book_signed",
        actor=actor,
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        detail={"party": party},
    )
    return task_book


# --- completion and acceptance (002 附3) ----------------------------------------------------------------
ACCEPTANCE_WINDOW_DAYS = 7  # apply for acceptance within one week of completion (002 附3)


def transformation_complete(
    *, visibility: Visibility, enterprise: PilotEnterprise, completed_on: Any, actor: User
) -> PilotEnterprise:
    """The provider reports the transformation done; the enterprise then has a week to apply."""
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
    enterprise.completed_on = completed_on
    workflow.transition(
        enterprise,
        PilotEnterprise.Status.COMPLETED,
        actor=actor,
        action="transformation_completed",
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        fields=["completed_on"],
    )
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
    return enterprise


def acceptance_apply(
    *,
    visibility: Visibility,
    enterprise: PilotEnterprise,
    material: Any,
    actor: User,
    today: date | None = None,
) -> PilotEnterprise:
    """The enterprise applies for acceptance with its materials, within one week of completion."""
    if not (visibility.is_operator or enterprise.organization_id in visibility.organization_ids):
        raise PermissionDenied
    if enterprise.status != PilotEnterprise.Status.COMPLETED:
        raise ValidationError(
            _("Acceptance is applied for once the transformation is reported complete.")
        )
    completed_on = enterprise.completed_on
    assert completed_on is not None  # set when the transformation was reported complete
    today = today or timezone.localdate()
    if today > completed_on + timedelta(days=ACCEPTANCE_WINDOW_DAYS):
        raise ValidationError(
            _(
                "The transformation was completed on %(date)s: acceptance had to be applied for within one week (002 annex 3). "
                "Ask the county bureau how to proceed."
            )
            % {"date": completed_on.isoformat()},
            code="too_late",
        )
    if material is None:
        raise ValidationError({"material": _("Upload the acceptance materials as one PDF.")})
    check_upload(material, allowed=["pdf"], max_mb=50)
    enterprise.acceptance_material.save("acceptance.pdf", material, save=False)
    enterprise.acceptance_applied_at = timezone.now()
    workflow.transition(
        enterprise,
        PilotEnterprise.Status.ACCEPTANCE_APPLIED,
        actor=actor,
        action="acceptance_applied",
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        fields=["acceptance_applied_at", "acceptance_material"],
    )
    deadlines.deadline_close(kind="acceptance_due", subject=enterprise)
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
    enterprise.acceptance_note, enterprise.acceptance_decided_at = (
        note.strip()[:5000],
        timezone.now(),
    )
    workflow.transition(
        enterprise,
        PilotEnterprise.Status.ACCEPTED if accepted else PilotEnterprise.Status.REJECTED,
        actor=actor,
        action="acceptance_decided",
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        note=enterprise.acceptance_note,
        detail={"accepted": accepted},
        fields=["acceptance_note", "acceptance_decided_at"],
    )
    return enterprise


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
    audit.record_for(
        contract,
        action="contract_saved",
        actor=actor,
        organization=enterprise.organization,
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
    contract.signed_on = signed_on
    workflow.transition(
        contract,
        Contract.Status.SIGNED,
        actor=actor,
        action="contract_signed",
        bureau=enterprise.bureau,
        organization=enterprise.organization,
        fields=["signed_on", "updated_at"],
    )
    return contract
