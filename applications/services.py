"""Write use cases for calls and application books. Each checks permission, validates, saves,
appends the event and the audit record. Errors reach the user as ValidationError messages."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import audit, deadlines, workflow
from portal.book import TemplateError, validate_definition
from portal.models import AuditEvent, Bureau, Organization, Role, User
from portal.selectors import organization_member_ids
from portal.uploads import check_upload
from portal.visibility import Visibility

from .documents import request_bundle
from .models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Attachment,
    Call,
    CallTemplate,
    CorrectionRequest,
)
from .selectors import answers_of, attachment_counts, book_for

MAX_SECTION_BYTES = 2 * 1024 * 1024
CALL_MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)
S = Application.Status


class EditConflict(ValidationError):
    """The section changed since the editor loaded it (another tab or user)."""


def transition(
    application: Application,
    to: str,
    *,
    actor: User | None,
    note: str = "",
    fields: list[str] | None = None,
) -> None:
    """Move a book through its workflow (DESIGN.md §4) with its event row and audit record."""
    workflow.transition(
        application,
        to,
        actor=actor,
        action=f"application_{to}",
        bureau=application.call.bureau,
        organization=application.organization,
        note=note,
        fields=["updated_at", *(fields or [])],
    )
    if to in OUTCOMES:
        transaction.on_commit(lambda: outcome_notify(application.pk, to, note))


# The outcomes an applicant is told of (formal check, recommendation, publicity, selection).
OUTCOMES = frozenset(
    {
        Application.Status.RECOMMENDED,
        Application.Status.NOT_RECOMMENDED,
        Application.Status.RETURNED,
        Application.Status.FORMAL_PASSED,
        Application.Status.PROPOSED,
        Application.Status.IN_PUBLICITY,
        Application.Status.SELECTED,
        Application.Status.NOT_SELECTED,
    }
)


def outcome_notify(application_id: int, status: str, note: str) -> int:
    """Tell the organization's members what became of their book, with a link to it. Texts are
    stored in the portal's language, like the emails."""
    # After commit, outside any request's scope: the book that moved, read as the portal; only its
    # call's title and a link go to its own organization's members.
    application = Application._base_manager.select_related("call").get(pk=application_id)
    with translation.override(settings.LANGUAGE_CODE):
        text = _("“%(call)s”: your application is now “%(status)s”.") % {
            "call": application.call.title,
            "status": Application.Status(status).label,
        }
        if note:
            text += " " + _("Note: %(note)s") % {"note": note}
    return deadlines.notify_users(
        organization_member_ids([application.organization_id]),
        kind="application_outcome",
        text=text,
        link=reverse("application-detail", kwargs={"application_pk": application_id}),
    )


def write_event(
    application: Application, previous: str, to: str, actor: User | None, note: str
) -> None:
    """An application book's transitions are kept as its own event rows (its history page)."""
    ApplicationEvent(
        application=application, actor=actor, from_status=previous, to_status=to, note=note
    ).save()


# --- calls and templates ---------------------------------------------------------------------------
def _require_manager_of(visibility: Visibility, bureau: Bureau) -> None:
    if not (visibility.is_operator or bureau.pk in visibility.bureau_ids_with(CALL_MANAGERS)):
        raise PermissionDenied


CALL_FIELDS = (
    "document_number",
    "title",
    "kind",
    "template",
    "sub_industries",
    "description",
    "eligibility",
    "opens_at",
    "closes_at",
    "requires_recommendation",
)


def call_create(*, visibility: Visibility, bureau: Bureau, actor: User, **fields: Any) -> Call:
    _require_manager_of(visibility, bureau)
    call = Call(bureau=bureau, **{k: v for k, v in fields.items() if k in CALL_FIELDS})
    call.full_clean()
    call.save()
    audit.record_for(
        call,
        action="call_created",
        actor=actor,
        bureau=bureau,
    )
    return call


def call_update(*, visibility: Visibility, call: Call, actor: User, **fields: Any) -> Call:
    _require_manager_of(visibility, call.bureau)
    if call.status == Call.Status.CLOSED:
        raise ValidationError(_("A closed call cannot be changed."))
    if call.status == Call.Status.PUBLISHED and call.applications.exists():
        locked = {"template", "kind", "sub_industries", "requires_recommendation"}
        if any(k in locked and fields[k] != getattr(call, k) for k in fields):
            raise ValidationError(
                _(
                    "Applications have started: the template, kind, sub-industries and recommendation rule can no longer change."
                )
            )
    changed = [k for k in CALL_FIELDS if k in fields and fields[k] != getattr(call, k)]
    for name in changed:
        setattr(call, name, fields[name])
    call.full_clean()
    if changed:
        call.save(update_fields=[*changed, "updated_at"])
        if call.status == Call.Status.PUBLISHED and "closes_at" in changed:
            _set_call_deadline(call)  # moving the deadline plans its reminders anew
        audit.record_for(
            call,
            action="call_updated",
            actor=actor,
            bureau=call.bureau,
            detail={"fields": changed},
        )
    return call


def call_publish(*, visibility: Visibility, call: Call, actor: User) -> Call:
    _require_manager_of(visibility, call.bureau)
    if call.status != Call.Status.DRAFT:
        raise ValidationError(_("Only a draft call can be published."))
    if not call.sub_industries and any(
        spec.get("choices_from") == "call.sub_industries"
        for section in call.template.definition["sections"]
        for spec in section.get("fields", []) + section.get("columns", [])
    ):
        raise ValidationError(
            _(
                "This template asks applicants to choose sub-industries: list them before publishing."
            )
        )
    call.status, call.published_at = Call.Status.PUBLISHED, timezone.now()
    call.save(update_fields=["status", "published_at", "updated_at"])
    _set_call_deadline(call)
    audit.record_for(
        call,
        action="call_published",
        actor=actor,
        bureau=call.bureau,
    )
    return call


def _set_call_deadline(call: Call) -> None:
    deadlines.deadline_set(
        kind="call_close",
        subject=call,
        due_at=call.closes_at,
        title=call.title,
        link=f"/calls/{call.pk}/",
        bureau=call.bureau,
    )


def call_close(*, visibility: Visibility, call: Call, actor: User) -> Call:
    _require_manager_of(visibility, call.bureau)
    if call.status != Call.Status.PUBLISHED:
        raise ValidationError(_("Only a published call can be closed."))
    call.status = Call.Status.CLOSED
    call.save(update_fields=["status", "updated_at"])
    deadlines.deadline_close(kind="call_close", subject=call)
    audit.record_for(
        call,
        action="call_closed",
        actor=actor,
        bureau=call.bureau,
    )
    return call


def template_clone(
    *, visibility: Visibility, template: CallTemplate, bureau: Bureau, actor: User
) -> CallTemplate:
    if not (visibility.is_operator or bureau.pk in visibility.bureau_ids_with({Role.BUREAU_ADMIN})):
        raise PermissionDenied
    code = f"{template.code}-{bureau.division_code}"[:80]
    latest = (
        CallTemplate.objects.filter(code=code)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    version = (latest or 0) + 1
    definition = {**template.definition, "code": code, "version": version}
    clone = CallTemplate(
        code=code,
        version=version,
        kind=template.kind,
        name=template.name,
        definition=definition,
        source=template.source,
        owner_bureau=bureau,
        cloned_from=template,
    )
    clone.save()
    audit.record_for(
        clone,
        action="template_cloned",
        actor=actor,
        bureau=bureau,
    )
    return clone


def template_update(
    *, visibility: Visibility, template: CallTemplate, definition_text: str, name: str, actor: User
) -> CallTemplate:
    if template.owner_bureau is None or not (
        visibility.is_operator
        or template.owner_bureau_id in visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ):
        raise PermissionDenied
    if template.calls.exclude(status=Call.Status.DRAFT).exists():
        raise ValidationError(
            _("A published call uses this template; clone it to make a new version.")
        )
    try:
        definition = json.loads(definition_text)
        validate_definition(definition)
    except (json.JSONDecodeError, TemplateError, TypeError, AttributeError, KeyError) as error:
        raise ValidationError(
            {"definition": _("The template is not valid: %(error)s") % {"error": str(error)[:300]}}
        ) from error
    definition.update({"code": template.code, "version": template.version})
    template.definition, template.name = definition, name[:200] or template.name
    template.save(update_fields=["definition", "name"])
    audit.record_for(
        template,
        action="template_updated",
        actor=actor,
        bureau=template.owner_bureau,
    )
    return template


# --- application books ------------------------------------------------------------------------------
def _require_member(visibility: Visibility, organization: Organization) -> None:
    if organization.pk not in visibility.organization_ids:
        raise PermissionDenied


def editable_until(application: Application) -> datetime | None:
    """Until when the applicant may change the book, or None when it is locked."""
    if application.status in (S.DRAFT, S.WITHDRAWN):
        return (
            application.call.closes_at if application.call.status == Call.Status.PUBLISHED else None
        )
    if application.status == S.RETURNED:
        correction = application.corrections.order_by("-created_at").first()
        return correction.deadline if correction else None
    return None


def is_editable(application: Application, now: datetime | None = None) -> bool:
    until = editable_until(application)
    return until is not None and (now or timezone.now()) <= until


# Checks other apps add on who may apply to a call (e.g. a removed leading unit may not apply
# again, 004 §4.4): each returns a message refusing the organization, or "" to let it apply.
# Registered from the other app's AppConfig.ready(), so this app imports none of them.
EligibilityCheck = Callable[[Call, Organization], str]
ELIGIBILITY_CHECKS: list[EligibilityCheck] = []


def register_eligibility_check(check: EligibilityCheck) -> None:
    if check not in ELIGIBILITY_CHECKS:
        ELIGIBILITY_CHECKS.append(check)


def application_start(
    *, visibility: Visibility, call: Call, organization: Organization, actor: User
) -> Application:
    _require_member(visibility, organization)
    if not call.accepts_submissions():
        raise ValidationError(_("This call is not open for applications."))
    for check in ELIGIBILITY_CHECKS:
        refusal = check(call, organization)
        if refusal:
            raise ValidationError(refusal)
    try:
        with transaction.atomic():
            application = Application(call=call, organization=organization, created_by=actor)
            application.save()
    except IntegrityError:
        raise ValidationError(
            _("Your organization has already started an application for this call.")
        ) from None
    book = book_for(call)
    for section in book.sections:
        prefill = {
            spec["key"]: _prefill(spec.get("prefill"), organization)
            for spec in section.get("fields", [])
            if spec.get("prefill")
        }
        ApplicationSection(
            application=application,
            key=section["key"],
            data=prefill if section["type"] == "fields" else {},
        ).save()
    ApplicationEvent(application=application, actor=actor, from_status="", to_status=S.DRAFT).save()
    audit.record(
        action="application_started",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor.pk,
        organization=organization,
        bureau=call.bureau,
        object_type="applications.application",
        object_id=str(application.pk),
    )
    return application


def _prefill(path: str | None, organization: Organization) -> str:
    if path and path.startswith("organization."):
        return str(getattr(organization, path.split(".", 1)[1], "") or "")
    return ""


def application_save_section(
    *,
    visibility: Visibility,
    application: Application,
    key: str,
    post: Any,
    base_version: int,
    actor: User,
) -> ApplicationSection:
    """Store what was typed in one section. Refuses (EditConflict) if the section changed since
    ``base_version`` was loaded, so two tabs never silently overwrite each other."""
    _require_member(visibility, application.organization)
    with transaction.atomic():
        application = _lock_editable(application)
        return _save_section(application, key, post, base_version, actor)


def lock_application(application: Application) -> Application:
    """The book re-read under a row lock: transitions and saves never race each other."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .get(pk=application.pk)
    )


def _lock_editable(application: Application) -> Application:
    application = lock_application(application)
    if not is_editable(application):
        raise ValidationError(_("This application can no longer be changed."), code="locked")
    return application


def _save_section(
    application: Application, key: str, post: Any, base_version: int, actor: User
) -> ApplicationSection:
    book = book_for(application)
    if not book.has_section(key) or book.section(key)["type"] == "attachments":
        raise ValidationError(_("There is no such section."), code="no_section")
    data = book.raw_from_post(key, post)  # may raise ValidationError (e.g. too many rows pasted)
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_SECTION_BYTES:
        raise ValidationError(
            _(
                "This section is too large to save; shorten it or split the material into attachments."
            ),
            code="too_large",
        )
    updated = ApplicationSection.objects.filter(
        application=application, key=key, version=base_version
    ).update(data=data, version=F("version") + 1, updated_by=actor, updated_at=timezone.now())
    if updated == 0:
        raise EditConflict(
            _(
                "This section was changed in another window or by a colleague since you opened it. "
                "Your changes were not saved: copy them, reload the page and apply them again."
            ),
            code="conflict",
        )
    if isinstance(data.get("sub_industries"), list):
        application.sub_industries_index = Application.index_sub_industries(data["sub_industries"])
        application.save(update_fields=["sub_industries_index", "updated_at"])
    else:
        application.save(update_fields=["updated_at"])
    return ApplicationSection.objects.get(application=application, key=key)


def attachment_add(
    *,
    visibility: Visibility,
    application: Application,
    section_key: str,
    slot_key: str,
    upload: UploadedFile,
    actor: User,
) -> Attachment:
    _require_member(visibility, application.organization)
    with transaction.atomic():
        application = _lock_editable(application)
        return _add_attachment(application, section_key, slot_key, upload, actor)


def _add_attachment(
    application: Application, section_key: str, slot_key: str, upload: UploadedFile, actor: User
) -> Attachment:
    book = book_for(application)
    if not book.has_section(section_key) or book.section(section_key)["type"] != "attachments":
        raise ValidationError(_("There is no such section."), code="no_section")
    slots = {
        s["key"]: s
        for s in book.slots(book.section(section_key), book.partner_names(answers_of(application)))
    }
    slot = slots.get(slot_key)
    if slot is None:
        raise ValidationError(_("There is no such upload slot."), code="no_slot")
    checked = check_upload(upload, allowed=list(slot["types"]), max_mb=int(slot.get("max_mb", 10)))
    replaced = (
        []
        if slot.get("multiple")
        else list(application.attachments.filter(section=section_key, slot=slot_key))
    )
    attachment = Attachment(
        application=application,
        section=section_key,
        slot=slot_key,
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
        original_name=(upload.name or "file")[-255:],
        uploaded_by=actor,
    )
    attachment.file.save(f"upload.{checked.kind}", upload, save=False)
    attachment.save()
    for old in replaced:
        old.delete()
        # The old file goes only once the new row is committed (a saved attachment has a name).
        if old.file.name:
            transaction.on_commit(partial(old.file.storage.delete, old.file.name))
    application.save(update_fields=["updated_at"])
    return attachment


def attachment_remove(*, visibility: Visibility, attachment: Attachment, actor: User) -> None:
    _require_member(visibility, attachment.application.organization)
    if not is_editable(attachment.application):
        raise ValidationError(_("This application can no longer be changed."), code="locked")
    attachment.file.delete(save=False)
    attachment.delete()


def content_hash(application: Application) -> str:
    payload = {
        "sections": answers_of(application),
        "attachments": sorted(application.attachments.values_list("section", "slot", "sha256")),
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def application_submit(
    *, visibility: Visibility, application: Application, actor: User, now: datetime | None = None
) -> Application:
    """Lock the book and record its time and content hash; refused after the deadline."""
    _require_member(visibility, application.organization)
    now = now or timezone.now()
    with transaction.atomic():
        application = lock_application(application)
        return _submit(application, actor, now)


def _submit(application: Application, actor: User, now: datetime) -> Application:
    if application.status not in Application.EDITABLE:
        raise ValidationError(
            _("This application has already been submitted."), code="already_submitted"
        )
    until = editable_until(application)
    if until is None or now > until:
        raise ValidationError(
            _(
                "The deadline (%(deadline)s) has passed: the application can no longer be submitted. Your draft is kept."
            )
            % {"deadline": timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "—"},
            code="deadline_passed",
        )
    per_section, cross = book_for(application).check(
        answers_of(application), attachment_counts(application)
    )
    problems = [issue for issues in per_section.values() for issue in issues] + cross
    if problems:
        raise ValidationError(
            _("The application is not complete: %(count)d problems remain. See the list below.")
            % {"count": len(problems)},
            code="incomplete",
        )
    returned = application.status == S.RETURNED
    application.submitted_at = now
    application.content_hash = content_hash(application)
    if returned:
        for correction in application.corrections.filter(answered_at__isnull=True):
            deadlines.deadline_close(kind="correction_due", subject=correction)
        application.corrections.filter(answered_at__isnull=True).update(answered_at=now)
    transition(
        application,
        S.RESUBMITTED if returned else S.SUBMITTED,
        actor=actor,
        fields=["submitted_at", "content_hash"],
    )
    request_bundle(application)  # the stamped PDF is generated after commit (000 §五)
    return application


def application_withdraw(
    *, visibility: Visibility, application: Application, actor: User, now: datetime | None = None
) -> Application:
    _require_member(visibility, application.organization)
    now = now or timezone.now()
    with transaction.atomic():
        application = lock_application(application)
        return _withdraw(application, actor, now)


def _withdraw(application: Application, actor: User, now: datetime) -> Application:
    if application.status != S.SUBMITTED:
        raise ValidationError(
            _("Only a submitted application that nobody has acted on yet can be withdrawn."),
            code="not_withdrawable",
        )
    if now > application.call.closes_at:
        raise ValidationError(
            _("The deadline has passed: the application can no longer be withdrawn."),
            code="deadline_passed",
        )
    transition(application, S.WITHDRAWN, actor=actor)
    return application


def application_request_correction(
    *, visibility: Visibility, application: Application, items: str, deadline: datetime, actor: User
) -> CorrectionRequest:
    """The issuing bureau returns a submitted book for correction (补正) with a deadline."""
    if not visibility.works_for(application.call.bureau_id):
        raise PermissionDenied
    with transaction.atomic():
        application = lock_application(application)
        return _request_correction(application, items, deadline, actor)


def _request_correction(
    application: Application, items: str, deadline: datetime, actor: User
) -> CorrectionRequest:
    if application.status not in (S.SUBMITTED, S.RESUBMITTED, S.RECOMMENDED):
        raise ValidationError(_("Only a submitted application can be returned for correction."))
    if not items.strip():
        raise ValidationError({"items": _("List what the applicant must correct.")})
    if deadline <= timezone.now():
        raise ValidationError({"deadline": _("The correction deadline must be in the future.")})
    correction = CorrectionRequest(
        application=application, items=items.strip(), deadline=deadline, created_by=actor
    )
    correction.save()
    transition(application, S.RETURNED, actor=actor, note=items.strip())
    deadlines.deadline_set(
        kind="correction_due",
        subject=correction,
        due_at=deadline,
        title=application.call.title,
        link=f"/applications/{application.pk}/",
        bureau=application.call.bureau,
        organization=application.organization,
    )
    return correction


def application_recommend(
    *, visibility: Visibility, application: Application, recommend: bool, note: str, actor: User
) -> Application:
    """The applicant's county bureau recommends (or not) a submitted book (001 §三(二))."""
    if not visibility.works_for(application.home_bureau_id):
        raise PermissionDenied
    with transaction.atomic():
        application = lock_application(application)
        return _recommend(application, recommend, note, actor)


def _recommend(application: Application, recommend: bool, note: str, actor: User) -> Application:
    if not application.call.requires_recommendation:
        raise ValidationError(_("This call does not ask for recommendations."))
    if application.status not in (S.SUBMITTED, S.NOT_RECOMMENDED, S.RECOMMENDED):
        raise ValidationError(_("Only a submitted application can be recommended."))
    if not note.strip():
        raise ValidationError({"note": _("Give the reason for the recommendation decision.")})
    application.recommendation_note = note.strip()
    application.recommended_by = actor
    application.recommended_at = timezone.now()
    transition(
        application,
        S.RECOMMENDED if recommend else S.NOT_RECOMMENDED,
        actor=actor,
        note=note.strip(),
        fields=["recommendation_note", "recommended_by", "recommended_at"],
    )
    return application
