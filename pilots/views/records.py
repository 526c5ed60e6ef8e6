"""The enterprise page, its one-enterprise-one-file record by part, assessments and its PDFs."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.book import localized
from portal.book_display import section_view
from portal.money import wan_to_upper
from portal.params import int_param, text_param

from .. import assessment, documents, permissions, selectors
from ..assessment import load_index, score
from ..models import (
    Assessment,
    EnterpriseFileSection,
    PilotEnterprise,
    TaskBook,
    TaskBookSignature,
)
from ..services import records as records_services
from .base import _enterprise


@login_required
def enterprise_detail(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility
    book = records_services.file_book()
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
    after = selectors.counting_assessment(enterprise, Assessment.Stage.AFTER)
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
            "before": selectors.counting_assessment(enterprise, Assessment.Stage.BEFORE),
            "after": after,
            "below_target": after is not None and after.level < assessment.TARGET_LEVEL,
            "task_book": task_book,
            "signatures": [
                (code, label, signed.get(code)) for code, label in TaskBookSignature.Party.choices
            ],
            "can_sign": permissions.parties_of(visibility, enterprise) - set(signed),
            "enterprise_side": permissions.is_enterprise_side(visibility, enterprise),
            "county_side": permissions.is_county_side(visibility, enterprise),
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
    book = records_services.file_book()
    if not book.has_section(part_key):
        raise Http404
    section_def = book.section(part_key)
    county = section_def.get("filled_by") == "county"
    visibility = request.visibility
    editable = (
        permissions.is_county_side(visibility, enterprise)
        if county
        else permissions.is_enterprise_side(visibility, enterprise)
    )
    stored = EnterpriseFileSection.objects.get(enterprise=enterprise, key=part_key)
    save_error = ""
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        try:
            records_services.file_save_section(
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
        permissions.is_county_side(visibility, enterprise)
        if kind == Assessment.Kind.ONSITE
        else permissions.is_enterprise_side(visibility, enterprise)
    )
    index = load_index(2024)
    existing = Assessment.objects.filter(enterprise=enterprise, stage=stage, kind=kind).first()
    answers = existing.answers if existing else {}
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        answers = _answers_from_post(index, request.POST)
        existing = records_services.assessment_save(
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
                    seen.setdefault(part["key"], localized(part))
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
