"""Pages of pilot execution: enterprises, their one-enterprise-one-file record, assessments and
task books. Thin: parse, call one service, show."""

import base64
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from applications.book import localized
from applications.selectors import section_view
from evaluation.assessment import load_index
from evaluation.models import Assessment
from portal.models import Organization
from portal.money import wan_to_upper
from portal.params import int_param, text_param
from portal.templatetags.portal_tags import join_list
from portal.views import paginate
from portal.visibility import visible_or_404

from . import documents, selectors, services
from .models import (
    Alliance,
    AllianceChange,
    AllianceMember,
    Contract,
    DemandList,
    DemandRow,
    EnrolmentRequest,
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

IMPORT_SESSION_KEY = "pilots.import"
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _enterprise(request: HttpRequest, enterprise_pk: int) -> PilotEnterprise:
    return visible_or_404(
        PilotEnterprise.objects.select_related(
            "organization", "leading_unit__organization", "bureau"
        ),
        pk=enterprise_pk,
    )


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    search = text_param(request.GET, "q")
    enterprises = PilotEnterprise.objects.select_related(
        "organization", "leading_unit__organization", "bureau"
    )
    if search:
        enterprises = enterprises.filter(organization__name__icontains=search)
    return render(
        request,
        "pilots/enterprise_list.html",
        {
            "page": paginate(request, enterprises),
            "search": search,
            "can_import": LeadingUnit.objects.filter(
                organization_id__in=visibility.organization_ids
            ).exists(),
            "pending_requests": EnrolmentRequest.objects.filter(
                status=EnrolmentRequest.Status.PENDING,
                leading_unit__organization_id__in=visibility.organization_ids,
            ).select_related("organization", "leading_unit__organization"),
            "can_choose": bool(visibility.admin_organization_ids)
            and not LeadingUnit.objects.filter(
                organization_id__in=visibility.organization_ids
            ).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_import(request: HttpRequest) -> HttpResponse:
    visibility = request.visibility
    units = list(
        LeadingUnit.objects.filter(organization_id__in=visibility.organization_ids).select_related(
            "organization"
        )
    )
    if not units:
        raise PermissionDenied
    unit = next((u for u in units if u.pk == int_param(request.POST, "leading_unit")), units[0])
    report = None
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            stored = request.session.get(IMPORT_SESSION_KEY) or {}
            if stored.get("leading_unit") != unit.pk:
                messages.error(request, _("Check the file again before importing it."))
                return redirect("enterprise-import")
            content, filename = base64.b64decode(stored["content"]), stored["filename"]
        else:
            upload = request.FILES.get("file")
            if upload is None or upload.size > MAX_IMPORT_BYTES:
                messages.error(request, _("Choose an XLSX or CSV file of at most 2 MB."))
                return redirect("enterprise-import")
            content, filename = upload.read(), upload.name or "upload.xlsx"
        confirm = request.POST.get("action") == "confirm"
        report = services.enterprises_import(
            visibility=visibility.resolve(),
            leading_unit=unit,
            content=content,
            filename=filename,
            confirm=confirm,
            actor=request.user,
        )
        if confirm and report.ok:
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.success(
                request, _("%(count)d enterprises are enrolled.") % {"count": report.imported}
            )
            return redirect("enterprise-list")
        if report.ok:
            request.session[IMPORT_SESSION_KEY] = {
                "leading_unit": unit.pk,
                "filename": filename[:100],
                "content": base64.b64encode(content).decode(),
            }
    return render(
        request,
        "pilots/enterprise_import.html",
        {"units": units, "unit": unit, "report": report, "columns": services.COLUMNS},
    )


@login_required
def enterprise_detail(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility
    book = services.file_book()
    stored = {s.key: s for s in EnterpriseFileSection.objects.filter(enterprise=enterprise)}
    parts = []
    for section in book.sections:
        raw = stored[section["key"]].data if section["key"] in stored else {}
        _values, issues = book.evaluate(section["key"], raw)
        parts.append(
            {
                "key": section["key"],
                "number": section.get("number", ""),
                "title": localized(section, "title"),
                "county": section.get("filled_by") == "county",
                "problems": len(issues),
            }
        )
    assessments = {(a.stage, a.kind): a for a in enterprise.assessments.all()}
    after = services.counting_assessment(enterprise, Assessment.Stage.AFTER)
    task_book = (
        TaskBook.objects.filter(enterprise=enterprise)
        .prefetch_related("signatures__signed_by")
        .first()
    )
    signed = {s.party: s for s in task_book.signatures.all()} if task_book else {}
    return render(
        request,
        "pilots/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "parts": parts,
            "assessments": assessments,
            "before": services.counting_assessment(enterprise, Assessment.Stage.BEFORE),
            "after": after,
            "below_target": after is not None and after.level < services.TARGET_LEVEL,
            "task_book": task_book,
            "signatures": [
                (code, label, signed.get(code)) for code, label in TaskBookSignature.Party.choices
            ],
            "can_sign": services.parties_of(visibility, enterprise) - set(signed),
            "enterprise_side": services.is_enterprise_side(visibility, enterprise),
            "county_side": services.is_county_side(visibility, enterprise),
            "can_complete": task_book is not None
            and task_book.status == TaskBook.Status.SIGNED
            and enterprise.status
            in (PilotEnterprise.Status.CONTRACTED, PilotEnterprise.Status.IN_TRANSFORMATION)
            and enterprise.leading_unit.organization_id in visibility.organization_ids,
            "is_enterprise": enterprise.organization_id in visibility.organization_ids,
            "budget_words": wan_to_upper(task_book.budget_wan) if task_book else "",
            "revisions": enterprise.file_revisions.select_related("saved_by")[:10],
            "task_book_pdf": enterprise.bundles.filter(kind=documents.TASK_BOOK).first(),
            "file_pdf": enterprise.bundles.filter(kind=documents.ENTERPRISE_FILE).first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def file_part(request: HttpRequest, enterprise_pk: int, part_key: str) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    book = services.file_book()
    if not book.has_section(part_key):
        raise Http404
    section_def = book.section(part_key)
    county = section_def.get("filled_by") == "county"
    visibility = request.visibility
    editable = (
        services.is_county_side(visibility, enterprise)
        if county
        else services.is_enterprise_side(visibility, enterprise)
    )
    stored = EnterpriseFileSection.objects.get(enterprise=enterprise, key=part_key)
    save_error = ""
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        try:
            services.file_save_section(
                visibility=visibility.resolve(),
                enterprise=enterprise,
                key=part_key,
                post=request.POST,
                base_version=int_param(request.POST, "base_version") or 0,
                actor=request.user,
            )
        except ValidationError as error:
            save_error = " ".join(error.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("enterprise-detail", enterprise_pk=enterprise.pk)
    raw = stored.data
    values, issues = book.evaluate(part_key, raw)
    view = section_view(
        book,
        part_key,
        raw,
        issues,
        values,
        extra_rows=3 if editable and section_def["type"] == "table" else 0,
    )
    return render(
        request,
        "pilots/file_part.html",
        {
            "enterprise": enterprise,
            "section": view,
            "issues": issues,
            "editable": editable,
            "version": stored.version,
            "save_error": save_error,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_form(
    request: HttpRequest, enterprise_pk: int, stage: str, kind: str
) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    if stage not in Assessment.Stage.values or kind not in Assessment.Kind.values:
        raise Http404
    visibility = request.visibility
    allowed = (
        services.is_county_side(visibility, enterprise)
        if kind == Assessment.Kind.ONSITE
        else services.is_enterprise_side(visibility, enterprise)
    )
    index = load_index(2024)
    existing = Assessment.objects.filter(enterprise=enterprise, stage=stage, kind=kind).first()
    answers = existing.answers if existing else {}
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        answers = _answers_from_post(index, request.POST)
        existing = services.assessment_save(
            visibility=visibility.resolve(),
            enterprise=enterprise,
            stage=stage,
            kind=kind,
            answers=answers,
            actor=request.user,
        )
        messages.success(
            request,
            _("Assessed: level %(level)d, %(score)s points.")
            % {"level": existing.level, "score": existing.base_score},
        )
        return redirect("assessment-form", enterprise_pk=enterprise.pk, stage=stage, kind=kind)
    from evaluation.assessment import score

    result = score(index, answers) if existing else None
    return render(
        request,
        "pilots/assessment.html",
        {
            "enterprise": enterprise,
            "stage": stage,
            "kind": kind,
            "index": index,
            "answers": answers,
            "allowed": allowed,
            "result": result,
            "existing": existing,
            "stage_label": Assessment.Stage(stage).label,
            "kind_label": Assessment.Kind(kind).label,
            "levels": [1, 2, 3, 4],
            "input_fields": _input_fields(index),
        },
    )


def _input_fields(index: dict[str, Any]) -> list[tuple[str, str]]:
    """The raw counts the banded items are computed from, each once (two shares share a base)."""
    seen: dict[str, str] = {}
    for dimension in index["dimensions"]:
        for item in dimension["items"]:
            if item["type"] == "ratio_band":
                for part in (item["denominator"], item["numerator"]):
                    seen.setdefault(part["key"], part["label"])
    return list(seen.items())


def _answers_from_post(index: dict[str, Any], post: Any) -> dict[str, Any]:
    items: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    for dimension in index["dimensions"]:
        for item in dimension["items"]:
            if item["type"] == "single":
                items[item["key"]] = text_param(post, item["key"], 40)
            elif item["type"] == "multiple":
                items[item["key"]] = [str(v)[:40] for v in post.getlist(item["key"])][:30]
            else:
                for part in (item["numerator"], item["denominator"]):
                    inputs[part["key"]] = text_param(post, part["key"], 12)
    scenarios = {s["key"]: text_param(post, f"scenario-{s['key']}", 2) for s in index["scenarios"]}
    return {"items": items, "inputs": inputs, "scenarios": scenarios}


class TaskBookForm(forms.Form):
    goals = forms.CharField(
        label=gettext_lazy("Transformation goals"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    performance_goals = forms.CharField(
        label=gettext_lazy("Performance goals"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    content = forms.CharField(
        label=gettext_lazy("Transformation content"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    schedule = forms.CharField(
        label=gettext_lazy("Schedule (one line each: period | work)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    budget_wan = forms.DecimalField(
        label=gettext_lazy("Total budget (10k yuan)"), max_digits=12, decimal_places=4, min_value=0
    )
    obligations = forms.CharField(
        label=gettext_lazy("Obligations of the parties"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_book(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    if TaskBook.objects.filter(enterprise=enterprise).exists():
        return redirect("enterprise-detail", enterprise_pk=enterprise.pk)
    today = date.today()
    september = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    form = TaskBookForm(
        request.POST or None,
        initial={"starts_on": september, "ends_on": date(september.year + 1, 9, 30)},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["schedule"] = [
            {
                "period": p.split("|", 1)[0].strip(),
                "work": p.split("|", 1)[1].strip() if "|" in p else "",
            }
            for p in data["schedule"].splitlines()
            if p.strip()
        ]
        try:
            services.task_book_create(
                visibility=request.visibility.resolve(),
                enterprise=enterprise,
                actor=request.user,
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The task book is ready for the three parties to sign."))
            return redirect("enterprise-detail", enterprise_pk=enterprise.pk)
    return render(request, "pilots/task_book_form.html", {"enterprise": enterprise, "form": form})


@login_required
@require_POST
def task_book_sign(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    book = visible_or_404(TaskBook.objects.filter(enterprise=enterprise), enterprise=enterprise)
    try:
        services.task_book_sign(
            visibility=request.visibility.resolve(),
            task_book=book,
            party=text_param(request.POST, "party", 16),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Signed."))
    return redirect("enterprise-detail", enterprise_pk=enterprise.pk)


@login_required
@require_POST
def enterprise_pdf(request: HttpRequest, enterprise_pk: int, kind: str) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    if kind == documents.TASK_BOOK:
        if not TaskBook.objects.filter(enterprise=enterprise).exists():
            raise Http404
        documents.request_task_book(enterprise)
    else:
        documents.request_enterprise_file(enterprise)
    messages.success(request, _("The PDF is being generated."))
    return redirect("enterprise-detail", enterprise_pk=enterprise.pk)


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied
    rows = selectors.progress_by_leading_unit()
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("enrolled", "contracted", "completed", "accepted", "reached")
    }
    totals["share"] = (
        round(100 * totals["reached"] / totals["enrolled"], 1) if totals["enrolled"] else 0
    )
    return render(request, "pilots/progress.html", {"rows": rows, "totals": totals})


@login_required
@require_POST
def enterprise_action(request: HttpRequest, enterprise_pk: int, action: str) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility.resolve()
    try:
        if action == "complete":
            raw = text_param(request.POST, "completed_on", 10)
            try:
                completed_on = date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
            services.transformation_complete(
                visibility=visibility,
                enterprise=enterprise,
                completed_on=completed_on,
                actor=request.user,
            )
            messages.success(
                request,
                _(
                    "The transformation is reported complete; the enterprise applies for acceptance within a week."
                ),
            )
        elif action == "apply":
            services.acceptance_apply(
                visibility=visibility,
                enterprise=enterprise,
                material=request.FILES.get("material"),
                actor=request.user,
            )
            messages.success(request, _("The acceptance application is sent to the county bureau."))
        elif action == "decide":
            services.acceptance_decide(
                visibility=visibility,
                enterprise=enterprise,
                accepted=request.POST.get("accepted") == "yes",
                note=text_param(request.POST, "note", 5000),
                actor=request.user,
            )
            messages.success(request, _("The acceptance decision is recorded."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("enterprise-detail", enterprise_pk=enterprise.pk)


class EnrolForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Enterprise"), max_length=200)
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=40)
    sub_industry = forms.CharField(label=gettext_lazy("Sub-industry"), max_length=100)
    scale = forms.ChoiceField(
        label=gettext_lazy("Size"), choices=[("中型", "中型"), ("小型", "小型"), ("微型", "微型")]
    )
    above_scale = forms.ChoiceField(
        label=gettext_lazy("Above designated size"), choices=[("规上", "规上"), ("规下", "规下")]
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("Tier"),
        choices=[
            ("无", "无"),
            ("创新型", "创新型"),
            ("专精特新", "专精特新"),
            ("小巨人", "小巨人"),
        ],
    )
    revenue = forms.CharField(
        label=gettext_lazy("Last year's revenue (10k yuan)"), required=False, max_length=20
    )
    profit = forms.CharField(
        label=gettext_lazy("Last year's profit (10k yuan)"), required=False, max_length=20
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_enrol(request: HttpRequest) -> HttpResponse:
    """One enterprise by form: the same checks as a sheet of one row."""
    import tablib

    units = list(
        LeadingUnit.objects.filter(organization_id__in=request.visibility.organization_ids)
    )
    if not units:
        raise PermissionDenied
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        dataset = tablib.Dataset(headers=services.COLUMNS)
        dataset.append(
            [
                data["name"],
                data["uscc"],
                data["sub_industry"],
                data["scale"],
                data["above_scale"],
                data["tier"],
                data["revenue"],
                data["profit"],
            ]
        )
        report = services.enterprises_import(
            visibility=request.visibility.resolve(),
            leading_unit=units[0],
            content=dataset.export("csv").encode(),
            filename="form.csv",
            confirm=True,
            actor=request.user,
        )
        if report.ok:
            messages.success(
                request, _("%(count)d enterprises are enrolled.") % {"count": report.imported}
            )
            return redirect("enterprise-list")
        for error in report.file_errors + [e for row in report.rows for e in row["errors"]]:
            form.add_error(None, error)
    return render(request, "pilots/enterprise_enrol.html", {"form": form})


@login_required
def leading_units(request: HttpRequest) -> HttpResponse:
    units = LeadingUnit.objects.select_related("organization", "bureau").order_by(
        "organization__name"
    )
    page = paginate(request, units)
    # Enterprises of the area see the published units, not the alliances' internals.
    linked = set(
        Alliance.objects.filter(leading_unit__in=list(page)).values_list(
            "leading_unit_id", flat=True
        )
    )
    return render(request, "pilots/leading_units.html", {"page": page, "linked": linked})


@login_required
@require_http_methods(["GET", "POST"])
def alliance_detail(request: HttpRequest, alliance_pk: int) -> HttpResponse:
    alliance = visible_or_404(
        Alliance.objects.select_related("leading_unit__organization", "bureau"), pk=alliance_pk
    )
    visibility = request.visibility
    is_leader = alliance.leading_unit.organization_id in visibility.organization_ids
    is_staff = visibility.works_for(alliance.bureau_id)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "file":
                raw_date = text_param(request.POST, "planned_on", 10)
                try:
                    planned_on = date.fromisoformat(raw_date) if raw_date else None
                except ValueError:
                    raise ValidationError(
                        {"planned_on": _("Enter a date as YYYY-MM-DD.")}
                    ) from None
                services.alliance_change_file(
                    visibility=visibility.resolve(),
                    alliance=alliance,
                    kind=text_param(request.POST, "kind", 16),
                    member_name=text_param(request.POST, "member_name", 200),
                    member_uscc=text_param(request.POST, "member_uscc", 40),
                    role=text_param(request.POST, "role", 16),
                    reason=text_param(request.POST, "reason", 5000),
                    planned_on=planned_on,
                    materials={name: request.FILES.get(name) for name in services.CHANGE_MATERIALS},
                    actor=request.user,
                )
                messages.success(request, _("The change is filed."))
            elif action in ("approve", "reject", "publish"):
                change = visible_or_404(
                    AllianceChange.objects.filter(alliance=alliance),
                    pk=int_param(request.POST, "change"),
                )
                if action == "publish":
                    services.alliance_change_publish(
                        visibility=visibility.resolve(), change=change, actor=request.user
                    )
                else:
                    services.alliance_change_review(
                        visibility=visibility.resolve(),
                        change=change,
                        approve=action == "approve",
                        note=text_param(request.POST, "note", 5000),
                        actor=request.user,
                    )
                messages.success(request, _("Saved."))
            return redirect("alliance-detail", alliance_pk=alliance.pk)
        except ValidationError as error:
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
    changes = list(alliance.changes.all())
    for change in changes:  # the filed materials, for the parties who may download them
        change.material_links = [
            (n, label) for n, label in CHANGE_MATERIAL_LABELS if getattr(change, n)
        ]
    return render(
        request,
        "pilots/alliance.html",
        {
            "alliance": alliance,
            "members": alliance.members.order_by("role", "name"),
            "changes": changes,
            "is_leader": is_leader,
            "is_staff": is_staff,
            "errors": errors,
            "posted": request.POST if errors else {},
            "kinds": AllianceChange.Kind.choices,
            "roles": [
                (code, label) for code, label in AllianceMember.Role.choices if code != "leader"
            ],
            "materials": CHANGE_MATERIAL_LABELS,
        },
    )


CHANGE_MATERIAL_LABELS = [
    ("licence", gettext_lazy("Business licence")),
    ("legal_rep_id", gettext_lazy("Legal representative's ID copy")),
    ("accounts", gettext_lazy("Last year's audited accounts or stamped financial statements")),
    ("credit_report", gettext_lazy("Credit China report (key pages)")),
]


class ProviderForm(forms.ModelForm):
    bureau = forms.TypedChoiceField(label=gettext_lazy("Bureau"), coerce=int)

    class Meta:
        model = ServiceProvider
        fields = ["name", "uscc", "capability", "field", "contact"]

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [(b.pk, b.name) for b in bureaus]
        self.order_fields(["bureau"])


class ProductForm(forms.ModelForm):
    # Queryset set per request: the scoped manager may not be queried at import.
    provider = forms.ModelChoiceField(label=gettext_lazy("Provider"), queryset=None)

    class Meta:
        model = Product
        fields = ["provider", "name", "summary", "direction", "stage", "price_wan", "own_ip"]

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only providers on a list the viewer keeps; anything else is "not a valid choice".
        self.fields["provider"].queryset = ServiceProvider.objects.filter(
            bureau_id__in=[b.pk for b in bureaus]
        )


@login_required
@require_http_methods(["GET", "POST"])
def providers(request: HttpRequest) -> HttpResponse:
    """The county's reference list of digital service providers and their “small, fast, light,
    precise, flexible” products (002 §三.2, §四), filtered by direction."""
    visibility = request.visibility
    bureaus = services.catalogue_bureaus(visibility.resolve())
    provider_form = ProviderForm(
        request.POST if request.POST.get("action") == "provider" else None,
        bureaus=bureaus,
        prefix="provider",
    )
    product_form = ProductForm(
        request.POST if request.POST.get("action") == "product" else None,
        bureaus=bureaus,
        prefix="product",
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "provider" and provider_form.is_valid():
                data = dict(provider_form.cleaned_data)
                bureau_id = data.pop("bureau")
                services.provider_add(
                    visibility=visibility.resolve(),
                    bureau_id=bureau_id,
                    data=data,
                    actor=request.user,
                )
                messages.success(request, _("The provider is on the list."))
                return redirect("providers")
            if action == "product" and product_form.is_valid():
                data = dict(product_form.cleaned_data)
                provider = data.pop("provider")
                services.product_add(
                    visibility=visibility.resolve(),
                    provider=provider,
                    data=data,
                    actor=request.user,
                )
                messages.success(request, _("The product is on the list."))
                return redirect(f"{request.path}#provider-{provider.pk}")
        except ValidationError as error:
            form = provider_form if action == "provider" else product_form
            form.add_error("uscc" if error.code and error.code.startswith("uscc") else None, error)
    direction = text_param(request.GET, "direction", 20)
    if direction not in Product.DIRECTIONS:
        direction = ""
    listed = ServiceProvider.objects.select_related("bureau").order_by("bureau__path", "name", "pk")
    if direction:
        listed = listed.filter(products__direction=direction).distinct()
    page = paginate(request, listed)
    by_provider: dict[int, list[Product]] = {}
    products = Product.objects.filter(provider_id__in=[p.pk for p in page])
    if direction:
        products = products.filter(direction=direction)
    for product in products:
        by_provider.setdefault(product.provider_id, []).append(product)
    rows = [(provider, by_provider.get(provider.pk, [])) for provider in page]
    editable = {b.pk for b in bureaus}
    return render(
        request,
        "pilots/providers.html",
        {
            "page": page,
            "rows": rows,
            "editable": editable,
            "provider_form": provider_form if bureaus else None,
            "product_form": product_form if bureaus else None,
            "directions": Product.DIRECTIONS,
            "direction": direction,
        },
    )


class TargetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    metric = forms.ChoiceField(
        label=gettext_lazy("Indicator"), choices=ProgrammeTarget.Metric.choices
    )
    value = forms.IntegerField(label=gettext_lazy("Target"), min_value=0, max_value=1_000_000)


class ProgrammeForm(forms.Form):
    starts_on = forms.DateField(
        label=gettext_lazy("Period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Period ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sub_industries = forms.CharField(
        label=gettext_lazy("Sub-industries"),
        help_text=gettext_lazy("One per line."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = PilotProgramme.objects.select_related("bureau", "approving_bureau").order_by(
        "-approved_at", "pk"
    )
    return render(request, "pilots/programme_list.html", {"page": paginate(request, programmes)})


@login_required
@require_http_methods(["GET", "POST"])
def programme_detail(request: HttpRequest, programme_pk: int) -> HttpResponse:
    """The programme's yearly targets against live counts (002 附1 §二; 003 附件 §二)."""
    programme = visible_or_404(
        PilotProgramme.objects.select_related("bureau", "approving_bureau"), pk=programme_pk
    )
    visibility = request.visibility.resolve()
    editable = services.can_set_targets(visibility, programme)
    action = request.POST.get("action")
    form = TargetForm(request.POST if action == "target" else None)
    period_form = ProgrammeForm(
        request.POST if action == "period" else None,
        initial={
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
            "sub_industries": "\n".join(programme.sub_industries),
        },
    )
    if request.method == "POST" and not editable:
        raise PermissionDenied
    if action == "period" and period_form.is_valid():
        data = period_form.cleaned_data
        try:
            services.programme_update(
                visibility=visibility,
                programme=programme,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                sub_industries=data["sub_industries"].splitlines(),
                actor=request.user,
            )
            messages.success(request, _("Saved."))
            return redirect("programme-detail", programme_pk=programme.pk)
        except ValidationError as error:
            period_form.add_error(None, error)  # field errors land on their fields
    if action == "target":
        if form.is_valid():
            try:
                services.programme_target_set(
                    visibility=visibility,
                    programme=programme,
                    actor=request.user,
                    **form.cleaned_data,
                )
                messages.success(request, _("The target is saved."))
                return redirect("programme-detail", programme_pk=programme.pk)
            except ValidationError as error:
                form.add_error("year" if error.code == "target_year" else None, error)
    return render(
        request,
        "pilots/programme_detail.html",
        {
            "programme": programme,
            "rows": selectors.programme_table(programme),
            "actuals": selectors.programme_actuals(programme),
            "metrics": ProgrammeTarget.Metric.choices,
            "form": form if editable else None,
            "period_form": period_form if editable else None,
        },
    )


class ChooseForm(forms.Form):
    leading_unit = forms.TypedChoiceField(label=gettext_lazy("Leading unit"), coerce=int)
    sub_industry = EnrolForm.base_fields["sub_industry"]
    scale = EnrolForm.base_fields["scale"]
    above_scale = EnrolForm.base_fields["above_scale"]
    tier = EnrolForm.base_fields["tier"]
    revenue = EnrolForm.base_fields["revenue"]
    profit = EnrolForm.base_fields["profit"]
    needs = forms.CharField(
        label=gettext_lazy("What you want to change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, units: list[LeadingUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leading_unit"].choices = [
            (u.pk, f"{u.organization.name}（{join_list(u.sub_industries)}）") for u in units
        ]


@login_required
@require_http_methods(["GET", "POST"])
def choose_leading_unit(request: HttpRequest) -> HttpResponse:
    """An enterprise chooses a leading unit of its area and asks to be transformed; the unit
    accepts (enrolment with the import's checks) or declines with a reason."""
    visibility = request.visibility.resolve()
    organizations = list(
        Organization.objects.filter(pk__in=visibility.admin_organization_ids).order_by("pk")
    )
    if not organizations:
        raise PermissionDenied
    units = list(services.choosable_leading_units(visibility))
    form = ChooseForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = next(u for u in units if u.pk == data.pop("leading_unit"))
        try:
            services.enrolment_request_create(
                visibility=visibility,
                organization=organizations[0],
                leading_unit=unit,
                data=data,
                actor=request.user,
            )
            messages.success(request, _("Your request is sent to the leading unit."))
            return redirect("choose-leading-unit")
        except ValidationError as error:
            form.add_error("sub_industry" if error.code == "request_sub_industry" else None, error)
    requests = EnrolmentRequest.objects.filter(
        organization_id__in=visibility.admin_organization_ids
    ).select_related("leading_unit__organization")
    return render(
        request,
        "pilots/choose_leading_unit.html",
        {"form": form, "units": units, "requests": requests, "organization": organizations[0]},
    )


@login_required
@require_POST
def enrolment_request_decide(request: HttpRequest, request_pk: int) -> HttpResponse:
    enrolment = visible_or_404(
        EnrolmentRequest.objects.select_related("organization", "leading_unit"), pk=request_pk
    )
    action = text_param(request.POST, "action", 10)
    try:
        services.enrolment_request_decide(
            visibility=request.visibility.resolve(),
            request=enrolment,
            action=action,
            note=text_param(request.POST, "note", 500),
            actor=request.user,
        )
        messages.success(request, _("The request is answered."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    if action == "withdraw":
        return redirect("choose-leading-unit")
    return redirect("enterprise-list")


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["duties", "measures", "targets", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "duties": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 4}),
            "targets": forms.Textarea(attrs={"rows": 3}),
        }


class ContractItemForm(forms.Form):
    product = forms.CharField(label=gettext_lazy("Product or service"), max_length=200)
    provider = forms.CharField(label=gettext_lazy("Provider"), max_length=200)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=100_000)
    unit_price_wan = forms.DecimalField(
        label=gettext_lazy("Unit price (10k yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )


ContractItemFormSet = forms.formset_factory(
    ContractItemForm, extra=3, max_num=50, validate_max=True, absolute_max=60
)


@login_required
@require_http_methods(["GET", "POST"])
def contract(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    """The transformation contract: drafted by the enterprise or its leading unit, itemised, then
    recorded as signed by the leading unit."""
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility.resolve()
    existing = Contract.objects.filter(enterprise=enterprise).first()
    editable = services.is_enterprise_side(visibility, enterprise) and (
        existing is None or existing.status == Contract.Status.DRAFT
    )
    can_sign = (
        existing is not None
        and existing.status == Contract.Status.DRAFT
        and (
            visibility.is_operator
            or enterprise.leading_unit.organization_id in visibility.organization_ids
        )
    )
    posted = request.method == "POST" and request.POST.get("action") != "sign"
    if posted and not editable:
        raise PermissionDenied
    initial_items = (
        [
            {
                "product": i.product,
                "provider": i.provider,
                "quantity": i.quantity,
                "unit_price_wan": i.unit_price_wan,
            }
            for i in existing.items.all()
        ]
        if existing
        else []
    )
    form = ContractForm(request.POST if posted else None, instance=existing)
    formset = ContractItemFormSet(
        request.POST if posted else None, initial=initial_items, prefix="items"
    )
    if request.method == "POST" and request.POST.get("action") == "sign":
        if existing is None:
            raise Http404
        raw = text_param(request.POST, "signed_on", 10)
        try:
            services.contract_sign(
                visibility=visibility,
                contract=existing,
                signed_on=date.fromisoformat(raw),
                actor=request.user,
            )
            messages.success(request, _("The contract is recorded as signed."))
        except ValueError:
            messages.error(request, _("Enter a date as YYYY-MM-DD."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("contract", enterprise_pk=enterprise.pk)
    if posted and form.is_valid() and formset.is_valid():
        items = [f.cleaned_data for f in formset.forms if f.cleaned_data]
        try:
            services.contract_save(
                visibility=visibility,
                enterprise=enterprise,
                data={k: form.cleaned_data[k] for k in ContractForm.Meta.fields},
                items=items,
                actor=request.user,
            )
            messages.success(request, _("The contract is saved."))
            return redirect("contract", enterprise_pk=enterprise.pk)
        except ValidationError as error:
            form.add_error(None, error)  # a dict of field errors lands on its fields
    items = list(existing.items.all()) if existing else []
    total = sum((i.amount_wan for i in items), Decimal(0))
    return render(
        request,
        "pilots/contract.html",
        {
            "enterprise": enterprise,
            "contract": existing,
            "items": items,
            "total": total,
            "total_words": wan_to_upper(total) if items else "",
            "form": form if editable else None,
            "formset": formset,
            "can_sign": can_sign,
        },
    )


class DemandListForm(forms.Form):
    bureau = forms.TypedChoiceField(label=gettext_lazy("Bureau"), coerce=int)
    sub_industry = forms.CharField(label=gettext_lazy("Sub-industry"), max_length=100)

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [(b.pk, b.name) for b in bureaus]


class DemandRowForm(forms.ModelForm):
    product = forms.ModelChoiceField(
        label=gettext_lazy("Adapted product"), queryset=None, required=False
    )

    class Meta:
        model = DemandRow
        fields = ["direction", "problem", "need", "scenario", "budget_wan", "product"]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 2}),
            "need": forms.Textarea(attrs={"rows": 2}),
            "scenario": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, bureau_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(
            provider__bureau_id=bureau_id
        ).select_related("provider")


@login_required
@require_http_methods(["GET", "POST"])
def demand_lists(request: HttpRequest) -> HttpResponse:
    """The county's demand, problem and scenario lists, one per sub-industry (002 附4)."""
    visibility = request.visibility.resolve()
    bureaus = services.catalogue_bureaus(visibility)
    form = DemandListForm(request.POST or None, bureaus=bureaus)
    if request.method == "POST":
        if not bureaus:
            raise PermissionDenied
        if form.is_valid():
            try:
                created = services.demand_list_create(
                    visibility=visibility,
                    bureau_id=form.cleaned_data["bureau"],
                    sub_industry=form.cleaned_data["sub_industry"],
                    actor=request.user,
                )
                return redirect("demand-list", list_pk=created.pk)
            except ValidationError as error:
                form.add_error(None, error)  # field errors land on their fields
    lists = DemandList.objects.select_related("bureau").order_by("bureau__path", "sub_industry")
    return render(
        request,
        "pilots/demand_lists.html",
        {"page": paginate(request, lists), "form": form if bureaus else None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_list(request: HttpRequest, list_pk: int) -> HttpResponse:
    demand = visible_or_404(DemandList.objects.select_related("bureau"), pk=list_pk)
    visibility = request.visibility.resolve()
    editable = visibility.works_for(demand.bureau_id)
    form = DemandRowForm(
        request.POST if request.POST.get("action") == "add" else None, bureau_id=demand.bureau_id
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if request.POST.get("action") == "delete":
            row = visible_or_404(
                DemandRow.objects.filter(demand_list=demand), pk=int_param(request.POST, "row") or 0
            )
            services.demand_row_delete(visibility=visibility, row=row, actor=request.user)
            return redirect("demand-list", list_pk=demand.pk)
        if form.is_valid():
            try:
                services.demand_row_add(
                    visibility=visibility,
                    demand_list=demand,
                    data=form.cleaned_data,
                    actor=request.user,
                )
                messages.success(request, _("The row is added."))
                return redirect("demand-list", list_pk=demand.pk)
            except ValidationError as error:
                form.add_error(None, error)  # field errors land on their fields
    rows = list(demand.rows.select_related("product__provider"))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            services.demand_list_xlsx(demand, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        title = _("Demand list")
        response["Content-Disposition"] = content_disposition_header(
            True, f"{title}-{demand.bureau.region_name}-{demand.sub_industry}.xlsx"
        )
        return response
    grouped = [(d, [r for r in rows if r.direction == d]) for d in Product.DIRECTIONS]
    return render(
        request,
        "pilots/demand_list.html",
        {
            "demand": demand,
            "grouped": grouped,
            "form": form if editable else None,
            "editable": editable,
        },
    )


def _private_pdf(field: Any, filename: str) -> FileResponse:
    """A stored PDF as a download that is never rendered, sniffed or cached (as attachments)."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def acceptance_material(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    title = _("Acceptance materials")
    return _private_pdf(
        enterprise.acceptance_material, f"{title}-{enterprise.organization.name}.pdf"
    )


@login_required
def alliance_change_material(request: HttpRequest, change_pk: int, material: str) -> HttpResponse:
    """The materials of a change filing (004 §4.6.1) are for the leading unit and its bureau only,
    even while the change itself is on public notice."""
    visibility = request.visibility
    change = visible_or_404(
        AllianceChange.objects.select_related("alliance__leading_unit").filter(
            Q(alliance__bureau_id__in=visibility.staff_bureau_ids)
            | Q(alliance__leading_unit__organization_id__in=visibility.organization_ids)
        ),
        pk=change_pk,
    )
    labels = dict(CHANGE_MATERIAL_LABELS)
    if material not in labels:
        raise Http404
    return _private_pdf(getattr(change, material), f"{labels[material]}-{change.member_name}.pdf")
