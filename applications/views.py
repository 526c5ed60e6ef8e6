"""Pages for calls and application books. Thin: parse input, call one service, show the result."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.book import localized
from portal.book_display import section_view
from portal.models import BUREAU_ROLES, Bureau, Organization, Role
from portal.params import int_param, text_param
from portal.templatetags.portal_tags import join_list
from portal.uploads import CONTENT_TYPES, KIND_LABELS
from portal.views import paginate
from portal.visibility import visible_or_404

from . import documents, exports, selectors, services
from .forms import CallForm, CorrectionForm, RecommendationForm, TemplateEditForm
from .models import (
    Application,
    ApplicationEvent,
    ApplicationSection,
    Attachment,
    Call,
    CallTemplate,
)

CALL_MANAGERS = (Role.BUREAU_MANAGER, Role.BUREAU_ADMIN)


def _errors(error: ValidationError) -> list[str]:
    return error.messages


def _require_valid(form: Any) -> None:
    """A small form posted from a detail page: its problems become one message there."""
    if not form.is_valid():
        raise ValidationError(
            [f"{form.fields[f].label}: {e}" for f, errs in form.errors.items() for e in errs]
        )


# --- calls ----------------------------------------------------------------------------------------
def call_list(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    context: dict[str, Any] = {"page": paginate(request, selectors.published_calls())}
    if visibility.is_bureau_staff:
        context["managed"] = selectors.managed_calls(visibility.resolve())[:50]
        context["can_create"] = bool(visibility.bureau_ids_with(CALL_MANAGERS))
    return render(request, "applications/call_list.html", context)


def call_detail(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau", "template"), pk=call_pk)
    visibility = request.visibility
    mine = {}
    if request.user.is_authenticated and visibility.organization_ids:
        mine = {
            a.organization_id: a
            for a in Application.objects.filter(
                call=call, organization_id__in=visibility.organization_ids
            )
        }
    organizations = (
        list(Organization.objects.filter(pk__in=visibility.organization_ids))
        if request.user.is_authenticated
        else []
    )
    book = services.book_for(call)
    return render(
        request,
        "applications/call_detail.html",
        {
            "call": call,
            "open": call.accepts_submissions(),
            "organizations": [(org, mine.get(org.pk)) for org in organizations],
            "sections": [(s.get("number", ""), localized(s, "title")) for s in book.sections],
            "can_manage": visibility.is_operator
            or call.bureau_id in visibility.bureau_ids_with(CALL_MANAGERS),
        },
    )


def _call_form(request: HttpRequest, instance: Call | None) -> CallForm:
    return CallForm(
        request.POST or None,
        instance=instance,
        templates=selectors.templates_for(request.visibility.resolve()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def call_create(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    bureaus = Bureau.objects.filter(pk__in=visibility.bureau_ids_with(CALL_MANAGERS))
    if not bureaus:
        raise PermissionDenied
    form = _call_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(
                visibility=visibility.resolve(),
                bureau=bureaus[0],
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The call is saved as a draft. Publish it when it is ready.")
            )
            return redirect("call-detail", call_pk=call.pk)
    return render(request, "applications/call_form.html", {"form": form, "bureau": bureaus[0]})


@login_required
@require_http_methods(["GET", "POST"])
def call_edit(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
    if not (
        request.visibility.is_operator
        or call.bureau_id in request.visibility.bureau_ids_with(CALL_MANAGERS)
    ):
        raise PermissionDenied
    form = _call_form(request, call)
    if request.method == "POST" and form.is_valid():
        fresh = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
        try:
            services.call_update(
                visibility=request.visibility.resolve(),
                call=fresh,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("call-detail", call_pk=call.pk)
    return render(
        request, "applications/call_form.html", {"form": form, "call": call, "bureau": call.bureau}
    )


@login_required
@require_POST
def call_transition(request: HttpRequest, call_pk: int, action: str) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau", "template"), pk=call_pk)
    service = {"publish": services.call_publish, "close": services.call_close}[action]
    try:
        service(visibility=request.visibility.resolve(), call=call, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    else:
        messages.success(
            request,
            _("The call is published.") if action == "publish" else _("The call is closed."),
        )
    return redirect("call-detail", call_pk=call.pk)


@login_required
def call_recommendations_export(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_or_404(Call.objects.select_related("bureau"), pk=call_pk)
    if not request.visibility.is_bureau_staff:
        raise PermissionDenied
    rows = selectors.recommendation_rows(call, request.visibility.resolve())
    return exports.RecommendationSummary(call=call, applications=rows).response(
        request.GET.get("format", "xlsx")
    )


# --- templates --------------------------------------------------------------------------------------
@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied
    return render(
        request,
        "applications/template_list.html",
        {
            "page": paginate(
                request, selectors.templates_for(request.visibility.resolve()), per_page=50
            )
        },
    )


@login_required
def template_detail(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = visible_or_404(CallTemplate.objects.select_related("owner_bureau"), pk=template_pk)
    book = services.Book(template.definition)
    return render(
        request,
        "applications/template_detail.html",
        {
            "template": template,
            "sections": [
                (s.get("number", ""), localized(s, "title"), s["type"], s.get("source", ""))
                for s in book.sections
            ],
            "rules": [
                (localized(r, "message"), r.get("source", ""))
                for r in template.definition.get("rules", [])
            ],
            "can_clone": bool(request.visibility.bureau_ids_with({Role.BUREAU_ADMIN}))
            or request.visibility.is_operator,
            "can_edit": template.owner_bureau_id is not None
            and (
                request.visibility.is_operator
                or template.owner_bureau_id
                in request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
            ),
        },
    )


@login_required
@require_POST
def template_clone(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = visible_or_404(CallTemplate.objects.all(), pk=template_pk)
    bureau = Bureau.objects.filter(
        pk__in=request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ).first()
    if bureau is None:
        raise PermissionDenied
    clone = services.template_clone(
        visibility=request.visibility.resolve(),
        template=template,
        bureau=bureau,
        actor=request.user,
    )
    messages.success(
        request,
        _("A copy of the template was made for your bureau. Adjust it before using it in a call."),
    )
    return redirect("template-edit", template_pk=clone.pk)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_pk: int) -> HttpResponse:
    import json

    template = visible_or_404(CallTemplate.objects.select_related("owner_bureau"), pk=template_pk)
    if template.owner_bureau_id is None or not (
        request.visibility.is_operator
        or template.owner_bureau_id in request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ):
        raise PermissionDenied
    initial = {
        "name": template.name,
        "definition": json.dumps(template.definition, ensure_ascii=False, indent=2),
    }
    form = TemplateEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(
                visibility=request.visibility.resolve(),
                template=template,
                definition_text=form.cleaned_data["definition"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ValidationError as error:
            for field, errors in (
                error.message_dict.items()
                if hasattr(error, "error_dict")
                else [(None, error.messages)]
            ):
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("template-detail", template_pk=template.pk)
    return render(request, "applications/template_edit.html", {"form": form, "template": template})


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
    filters = {
        "call_id": int_param(request.GET, "call"),
        "status": text_param(request.GET, "status", 24),
        "sub_industry": text_param(request.GET, "sub_industry"),
        "bureau_id": int_param(request.GET, "county"),
        "search": text_param(request.GET, "q"),
    }
    if filters["status"] not in Application.Status.values:
        filters["status"] = ""
    calls = Call.objects.filter(applications__isnull=False).distinct().order_by("-opens_at")
    return render(
        request,
        "applications/staff_applications.html",
        {
            "page": paginate(request, selectors.staff_applications(**filters)),
            "filters": filters,
            "calls": calls,
            "statuses": Application.Status.choices,
            "counties": visibility.bureaus().order_by("path"),
        },
    )


def _load(request: HttpRequest, application_pk: int) -> Application:
    return visible_or_404(
        Application.objects.select_related(
            "call", "call__template", "call__bureau", "organization", "organization__home_bureau"
        ),
        pk=application_pk,
    )


def _is_member(request: HttpRequest, application: Application) -> bool:
    return application.organization_id in request.visibility.organization_ids


@login_required
def application_detail(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = _load(request, application_pk)
    book = services.book_for(application)
    answers = services.answers_of(application)
    per_section, cross = book.check(answers, services.attachment_counts(application))
    visibility = request.visibility
    is_member = _is_member(request, application)
    call_staff = visibility.works_for(application.call.bureau_id)
    recommender = application.organization.home_bureau_id in visibility.bureau_ids_with(
        BUREAU_ROLES
    )
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
    book = services.book_for(application)
    if not book.has_section(key):
        raise Http404
    answers = services.answers_of(application)
    stored = answers.get(key, {})
    raw = stored if raw is None else raw
    counts = services.attachment_counts(application)
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
            _values, issues = services.book_for(application).evaluate(section_key, section.data)
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
        return services.book_for(application).raw_from_post(key, post)
    except ValidationError:
        return {}


@login_required
@require_POST
def attachment_upload(request: HttpRequest, application_pk: int) -> HttpResponse:
    application = _load(request, application_pk)
    section_key = text_param(request.POST, "section", 64)
    slot_key = text_param(request.POST, "slot", 100)
    upload = request.FILES.get("file")
    back = redirect(
        "application-section", application_pk=application.pk, section_key=section_key or "proofs"
    )
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return back
    try:
        services.attachment_add(
            visibility=request.visibility.resolve(),
            application=application,
            section_key=section_key,
            slot_key=slot_key,
            upload=upload,
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(
            request,
            _("“%(name)s” was not accepted: %(reason)s")
            % {"name": upload.name[:100], "reason": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("“%(name)s” is uploaded.") % {"name": upload.name[:100]})
    return back


@login_required
def attachment_download(
    request: HttpRequest, application_pk: int, attachment_pk: int
) -> HttpResponse:
    application = _load(request, application_pk)
    attachment = visible_or_404(
        Attachment.objects.filter(application=application), pk=attachment_pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=CONTENT_TYPES[attachment.kind],
    )
    # Never rendered by the browser as a page, never sniffed, never cached by proxies.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(
    request: HttpRequest, application_pk: int, attachment_pk: int
) -> HttpResponse:
    application = _load(request, application_pk)
    attachment = visible_or_404(
        Attachment.objects.filter(application=application), pk=attachment_pk
    )
    try:
        services.attachment_remove(
            visibility=request.visibility.resolve(), attachment=attachment, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The file is removed."))
    return redirect(
        "application-section", application_pk=application.pk, section_key=attachment.section
    )


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
    book = services.book_for(application)
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
