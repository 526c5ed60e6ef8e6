"""Pages for application books: start, lists, the book by section, actions and its documents."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.book import localized
from portal.book_display import section_view
from portal.models import BUREAU_ROLES, Bureau, Organization
from portal.params import int_param, text_param
from portal.templatetags.portal_tags import join_list
from portal.uploads import KIND_LABELS
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import documents, selectors, services
from ..forms import CorrectionForm, RecommendationForm
from ..list_exports import application_filters
from ..models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Call,
)
from .base import _errors, _is_member, _load, _require_valid


# --- application books --------------------------------------------------------------------------------
@login_required
@require_POST
def application_start(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("template"), pk=call_pk)
    organization_pk = int_param(request.POST, "organization")
    organization = visible_or_404(
        Organization.objects.filter(pk__in=request.visibility.organization_ids), pk=organization_pk
    )
    existing = Application.objects.filter(call=call, organization=organization).first()
    if existing:
        return redirect("application-detail", application_pk=existing.pk)
    try:
        application = services.application_start(
            visibility=request.visibility.resolve(),
            call=call,
            organization=organization,
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
        return redirect("call-detail", call_pk=call.pk)
    return redirect("application-detail", application_pk=application.pk)


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    if not request.visibility.is_applicant:
        raise PermissionDenied
    return render(
        request,
        "applications/my_applications.html",
        {"page": paginate(request, selectors.my_applications(request.visibility.resolve()))},
    )


@login_required
def staff_applications(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    if not (visibility.is_bureau_staff or visibility.is_operator):
        raise PermissionDenied
    filters = application_filters(request.GET)
    calls = selectors.staff_call_choices(visibility.resolve())
    return render(
        request,
        "applications/staff_applications.html",
        {
            "page": paginate(
                request,
                selectors.staff_applications(**filters),
                rows=selectors.staff_application_page_rows,
            ),
            "filters": filters,
            "calls": calls,
            "statuses": Application.Status.choices,
            # Counties only (县（市、区）): the filter is by the applicant's county bureau.
            "counties": visibility.bureaus()
            .filter(level=Bureau.Level.COUNTY, department=Bureau.Department.INDUSTRY)
            .order_by("path"),
        },
    )


@login_required
def application_detail(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = _load(request, application_pk)
    book = selectors.book_for(application)
    answers = selectors.answers_of(application)
    per_section, cross = book.check(answers, selectors.attachment_counts(application))
    visibility = request.visibility
    is_member = _is_member(request, application)
    call_staff = visibility.works_for(application.call.bureau_id)
    recommender = application.home_bureau_id in visibility.bureau_ids_with(BUREAU_ROLES)
    sections = [
        {
            "key": s["key"],
            "number": s.get("number", ""),
            "title": localized(s, "title"),
            "problems": len(per_section[s["key"]]) + sum(1 for i in cross if i.section == s["key"]),
        }
        for s in book.sections
    ]
    until = services.editable_until(application)
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "sections": sections,
            "problems": [i for issues in per_section.values() for i in issues] + cross,
            "cross": cross,
            "titles": {s["key"]: localized(s, "title") for s in book.sections},
            "is_member": is_member,
            "editable": is_member and services.is_editable(application),
            "editable_until": until,
            "can_withdraw": is_member
            and application.status == Application.Status.SUBMITTED
            and timezone.now() <= application.call.closes_at,
            "events": ApplicationEvent.objects.filter(application=application).select_related(
                "actor"
            ),
            "corrections": application.corrections.all(),
            "can_correct": call_staff
            and application.status
            in (
                Application.Status.SUBMITTED,
                Application.Status.RESUBMITTED,
                Application.Status.RECOMMENDED,
            ),
            "can_recommend": recommender
            and application.call.requires_recommendation
            and application.status
            in (
                Application.Status.SUBMITTED,
                Application.Status.RECOMMENDED,
                Application.Status.NOT_RECOMMENDED,
            ),
            "correction_form": CorrectionForm(),
            "status_labels": dict(Application.Status.choices),
            "bundle": application.bundles.filter(kind=documents.KIND).first(),
            "recommendation_form": RecommendationForm(),
        },
    )


def _section_context(
    application: Application, key: str, raw: dict[str, Any] | None = None, extra_rows: int = 0
) -> dict[str, Any]:
    book = selectors.book_for(application)
    if not book.has_section(key):
        raise Http404
    answers = selectors.answers_of(application)
    stored = answers.get(key, {})
    raw = stored if raw is None else raw
    counts = selectors.attachment_counts(application)
    values, issues = book.evaluate(key, raw, counts.get(key, {}), answers)
    section = book.section(key)
    view = section_view(book, key, raw, issues, values, extra_rows=extra_rows)
    if section["type"] == "attachments":
        files = list(application.attachments.filter(section=key))
        view["slots"] = [
            {
                **slot,
                "files": [f for f in files if f.slot == slot["key"]],
                "accepts": join_list(KIND_LABELS[t] for t in slot["types"]),
                "accept_attr": ",".join(f".{t}" for t in slot["types"]),
                "error": next((i.message for i in issues if i.field == slot["key"]), ""),
            }
            for slot in book.slots(section, book.partner_names(answers))
        ]
    keys = [s["key"] for s in book.sections]
    position = keys.index(key)
    return {
        "application": application,
        "section": view,
        "issues": issues,
        "previous_key": keys[position - 1] if position > 0 else None,
        "next_key": keys[position + 1] if position + 1 < len(keys) else None,
        "all_sections": [
            (s["key"], s.get("number", ""), localized(s, "title")) for s in book.sections
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def application_section(
    request: HttpRequest, application_pk: int, section_key: str
) -> HttpResponse:
    application = _load(request, application_pk)
    editable = _is_member(request, application) and services.is_editable(application)
    autosave = request.headers.get("X-Autosave") == "1"
    version_row = ApplicationSection.objects.filter(
        application=application, key=section_key
    ).first()
    if request.method == "POST":
        if not editable:
            if autosave:
                return JsonResponse(
                    {"message": _("This application can no longer be changed.")}, status=409
                )
            raise PermissionDenied
        base_version = int_param(request.POST, "base_version") or 0
        try:
            section = services.application_save_section(
                visibility=request.visibility.resolve(),
                application=application,
                key=section_key,
                post=request.POST,
                base_version=base_version,
                actor=request.user,
            )
        except services.EditConflict as error:
            if autosave:
                return JsonResponse({"message": error.messages[0], "conflict": True}, status=409)
            context = _section_context(
                application, section_key, raw=_safe_raw(application, section_key, request.POST)
            )
            context.update(editable=True, version=base_version, save_error=error.messages[0])
            return render(request, "applications/section.html", context, status=409)
        except ValidationError as error:
            if autosave:
                return JsonResponse({"message": " ".join(error.messages)}, status=400)
            context = _section_context(application, section_key)
            context.update(
                editable=True,
                version=base_version,
                save_error=" ".join(error.messages),
                paste=text_param(request.POST, "paste", 400_000),
            )
            return render(request, "applications/section.html", context, status=400)
        if autosave:
            _values, issues = selectors.book_for(application).evaluate(section_key, section.data)
            return JsonResponse(
                {
                    "version": section.version,
                    "saved_at": timezone.localtime(section.updated_at).strftime("%H:%M:%S"),
                    "problems": len(issues),
                }
            )
        messages.success(request, _("Saved."))
        target = request.POST.get("then")
        if target == "next":
            nxt = _section_context(application, section_key)["next_key"]
            if nxt:
                return redirect(
                    "application-section", application_pk=application.pk, section_key=nxt
                )
            return redirect("application-detail", application_pk=application.pk)
        url = request.path + ("?rows=3" if target == "add_rows" else "")
        return redirect(url)
    if version_row is None:
        raise Http404
    extra = (
        3
        if editable
        and (
            request.GET.get("rows")
            or not (version_row.data.get("rows") if isinstance(version_row.data, dict) else None)
        )
        else 0
    )
    context = _section_context(application, section_key, extra_rows=extra)
    context.update(editable=editable, version=version_row.version)
    return render(request, "applications/section.html", context)


def _safe_raw(application: Application, key: str, post: Any) -> dict[str, Any]:
    try:
        return selectors.book_for(application).raw_from_post(key, post)
    except ValidationError:
        return {}


@login_required
@require_POST
def application_action(request: HttpRequest, application_pk: int, action: str) -> HttpResponse:
    application = _load(request, application_pk)
    visibility = request.visibility.resolve()
    try:
        if action == "submit":
            services.application_submit(
                visibility=visibility, application=application, actor=request.user
            )
            messages.success(
                request, _("The application is submitted. You can withdraw it until the deadline.")
            )
        elif action == "withdraw":
            services.application_withdraw(
                visibility=visibility, application=application, actor=request.user
            )
            messages.success(
                request,
                _(
                    "The application is withdrawn. Change it and submit it again before the deadline."
                ),
            )
        elif action == "correction":
            form = CorrectionForm(request.POST)
            _require_valid(form)
            services.application_request_correction(
                visibility=visibility,
                application=application,
                actor=request.user,
                items=form.cleaned_data["items"],
                deadline=form.cleaned_data["deadline"],
            )
            messages.success(
                request, _("The application is returned to the applicant for correction.")
            )
        elif action == "recommend":
            form = RecommendationForm(request.POST)
            _require_valid(form)
            services.application_recommend(
                visibility=visibility,
                application=application,
                actor=request.user,
                recommend=form.cleaned_data["decision"] == "recommend",
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("The recommendation decision is recorded."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("application-detail", application_pk=application.pk)


@login_required
def application_book(request: HttpRequest, application_pk: int) -> HttpResponse:
    """The whole book, read-only: the applicant's preview and the staff's reading copy."""
    application = _load(request, application_pk)
    book = selectors.book_for(application)
    sections = [_section_context(application, s["key"])["section"] for s in book.sections]
    return render(
        request,
        "applications/book.html",
        {
            "application": application,
            "sections": sections,
            "attachments": list(application.attachments.all()),
        },
    )


@login_required
def application_docx(request: HttpRequest, application_pk: int) -> HttpResponse:
    from urllib.parse import quote

    application = _load(request, application_pk)
    response = HttpResponse(
        documents.docx_bytes(application),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(application.organization.name + '.docx')}"
    )
    return response


@login_required
@require_POST
def application_bundle(request: HttpRequest, application_pk: int) -> HttpResponse:
    """Generate the stamped PDF again (after a seal upload, or after a failure)."""
    application = _load(request, application_pk)
    if not _is_member(request, application) or not application.submitted_at:
        raise PermissionDenied
    documents.request_bundle(application)
    messages.success(request, _("The PDF is being generated."))
    return redirect("application-detail", application_pk=application.pk)
