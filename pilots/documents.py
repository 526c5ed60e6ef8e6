"""Pilot documents as PDFs: the tripartite task book (002 附3) and the one-enterprise-one-file
record (002 附2), through the portal's document engine."""

import functools
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from pilots.models import Assessment
from portal import bundles
from portal.book import localized
from portal.book_display import section_view
from portal.documents import Part, Rendered, build_bundle, page_html
from portal.models import DocumentBundle
from portal.money import wan_to_upper
from portal.templatetags.portal_tags import numbered

from .models import EnterpriseFileSection, PilotEnterprise, TaskBook, TaskBookSignature
from .selectors import counting_assessment
from .services.records import file_book

TASK_BOOK = "task_book"
ENTERPRISE_FILE = "enterprise_file"


def _cover(title: str, enterprise: PilotEnterprise) -> str:
    return page_html(
        render_to_string(
            "documents/simple_cover.html",
            {
                "title": title,
                "subtitle": enterprise.organization.name,
                "issuer": enterprise.bureau.name,
            },
        )
    )


TASK_BOOK_TEMPLATE = Path(__file__).resolve().parent / "shipped" / "task_book_2025.json"


@functools.cache
def task_book_text() -> dict[str, Any]:
    """The fixed text of the task book: every clause of 002 附3 in its order and words."""
    with TASK_BOOK_TEMPLATE.open(encoding="utf-8") as handle:
        return dict(json.load(handle))


def _figure(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _investment(row: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(row["investment"]))
    except (KeyError, InvalidOperation):  # rows of books drawn up before the column existed
        return None


def task_book_context(book: TaskBook) -> dict[str, Any]:
    """What documents/task_book.html prints: the seed's clauses in order, filled with the book's
    own parts, and the three signature blocks with the signing records where the seed has its
    signature lines (002 附3 §十)."""
    text = task_book_text()
    enterprise = book.enterprise
    provider = enterprise.leading_unit.organization
    signs = text["signature_labels"]

    def day(value: date) -> str:
        return str(signs["date"]).format(year=value.year, month=value.month, day=value.day)

    project = book.project_name or enterprise.organization.name
    clauses = []
    for clause in text["clauses"]:
        labels = dict(clause.get("labels", {}))
        if clause["kind"] == "schedule":
            labels["from_to"] = labels["from_to"].format(
                start=day(book.starts_on), end=day(book.ends_on)
            )
        if clause["kind"] == "budget":
            labels["budget"] = labels["budget"].format(
                words=wan_to_upper(book.budget_wan), figure=_figure(Decimal(book.budget_wan))
            )
        clauses.append(
            {
                **clause,
                "heading": f"{clause['number']}、{localized(clause, 'title')}",
                "labels": labels,
            }
        )
    rows = []
    for row in book.schedule:
        investment = _investment(row)
        rows.append(
            {
                "period": row.get("period", ""),
                "work": row.get("work", ""),
                "investment": "" if investment is None else _figure(investment),
            }
        )
    investments = [_investment(row) for row in book.schedule]
    total = (
        _figure(sum(i for i in investments if i is not None))
        if investments and None not in investments
        else ""
    )
    signatures = {s.party: s for s in book.signatures.select_related("signed_by")}
    parties = {
        TaskBookSignature.Party.BUREAU: (enterprise.bureau.name, "", "", "", ""),
        TaskBookSignature.Party.ENTERPRISE: (
            enterprise.organization.name,
            enterprise.organization.legal_representative,
            enterprise.organization.contact_name,
            enterprise.organization.contact_phone,
            enterprise.organization.contact_email,
        ),
        TaskBookSignature.Party.PROVIDER: (
            provider.name,
            provider.legal_representative,
            provider.contact_name,
            provider.contact_phone,
            provider.contact_email,
        ),
    }
    blocks = []
    for block in text["signature_blocks"]:
        name, representative, contact, phone, email = parties[block["party"]]
        signature = signatures.get(block["party"])
        signed_at = timezone.localtime(signature.signed_at) if signature else None
        blocks.append(
            {
                **block,
                "name": name,
                "representative": representative,
                "contact_name": contact,
                "phone": phone,
                "email_address": email,
                "signed": (
                    str(signs["signed"]).format(
                        name=signature.signed_by,
                        time=f"{day(signed_at.date())} {signed_at:%H:%M}",
                    )
                    if signature and signed_at
                    else ""
                ),
                "date": day(signed_at.date()) if signed_at else signs["blank_date"],
            }
        )
    return {
        "book": book,
        "enterprise": enterprise,
        "preamble": str(text["preamble"]).format(project=project),
        "clauses": clauses,
        "schedule": rows,
        "schedule_total": total,
        "blocks": blocks,
        "signs": signs,
    }


def _task_book_cover(book: TaskBook) -> str:
    text = task_book_text()["cover"]
    enterprise = book.enterprise
    return page_html(
        render_to_string(
            "documents/task_book_cover.html",
            {
                "title": localized(text, "title").format(year=book.starts_on.year),
                "heading": localized(text, "heading"),
                "lines": [
                    (text["project"], book.project_name or enterprise.organization.name),
                    (text["bureau"], enterprise.bureau.name),
                    (text["enterprise"], enterprise.organization.name),
                    (text["provider"], enterprise.leading_unit.organization.name),
                ],
            },
        )
    )


def build_task_book(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    enterprise: PilotEnterprise = bundle.subject
    book = TaskBook.objects.select_related(
        "enterprise__organization", "enterprise__bureau", "enterprise__leading_unit__organization"
    ).get(enterprise=enterprise)
    with translation.override("zh-hans"):
        body = render_to_string("documents/task_book.html", task_book_context(book))
        title = str(translation.gettext("Digital transformation task book"))
        return build_bundle(
            cover_html=_task_book_cover(book),
            parts=[Part(kind="html", title=title, html=body)],
            title=title,
            code=bundle.code,
            created=timezone.localtime(book.created_at),
            seal_path=None,
            progress=progress,
        )


def build_enterprise_file(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    """The record in 002 附2's four parts: the sections of one part (the transformation, its
    results with the digital levels before and after, the providers used, all in part 三) print
    under one numbered heading that carries the seed's note on who fills it."""
    enterprise: PilotEnterprise = bundle.subject
    book = file_book()
    stored = {s.key: s.data for s in EnterpriseFileSection.objects.filter(enterprise=enterprise)}
    with translation.override("zh-hans"):
        levels = {
            stage: counting_assessment(enterprise, stage) for stage in Assessment.Stage.values
        }
        parts: list[Part] = []
        number = None
        for section in book.sections:
            raw = stored.get(section["key"], {})
            values, issues = book.evaluate(section["key"], raw)
            first = section.get("number") != number
            number = section.get("number")
            if first:
                title = str(numbered(number, localized(section, "title")))
                note = localized(section, "title_note")
                heading = f"{title}{note}"
            else:
                heading = localized(section, "print_title") or localized(section, "title")
            # 附2 heads its results table with the digital level before and after.
            lead = (
                render_to_string(
                    "documents/assessment_levels.html",
                    {"before": levels["before"], "after": levels["after"]},
                )
                if section["key"] == "indicators"
                else ""
            )
            html = render_to_string(
                "documents/application_section.html",
                {
                    "section": section_view(book, section["key"], raw, issues, values),
                    "title": heading,
                    "subsection": not first,
                    "lead": lead,  # a SafeString from render_to_string
                    "seal": "",
                },
            )
            if first:
                parts.append(Part(kind="html", title=title, html=html))
            else:
                parts[-1].html += html
        title = str(book.definition.get("print_title", book.definition["name"])).format(
            region=enterprise.bureau.region_name
        )
        return build_bundle(
            cover_html=_cover(title, enterprise),
            parts=parts,
            title=title,
            code=bundle.code,
            created=timezone.localtime(enterprise.enrolled_at),
            seal_path=None,
            progress=progress,
        )


def request_task_book(enterprise: PilotEnterprise) -> DocumentBundle:
    book = TaskBook.objects.get(enterprise=enterprise)
    signatures = sorted(book.signatures.values_list("party", "signed_by_id", "signed_at"))
    source = bundles.source_hash(
        TASK_BOOK,
        str(book.pk),
        book.status,
        # The clauses' text, so a new version of it prints the book afresh.
        f"{task_book_text()['code']}/{task_book_text()['version']}",
        book.project_name,
        str(book.starts_on),
        str(book.ends_on),
        book.goals,
        book.performance_goals,
        book.content,
        book.obligations,
        str(book.budget_wan),
        book.bank_account_name,
        book.bank_name,
        book.bank_account_number,
        json.dumps(book.schedule, ensure_ascii=False),
        json.dumps(signatures, default=str),
    )
    return bundles.bundle_request(
        kind=TASK_BOOK,
        subject=enterprise,
        source=source,
        organization=enterprise.organization,
        bureau=enterprise.bureau,
    )


def request_enterprise_file(enterprise: PilotEnterprise) -> DocumentBundle:
    versions = sorted(
        EnterpriseFileSection.objects.filter(enterprise=enterprise).values_list("key", "version")
    )
    levels = sorted(enterprise.assessments.values_list("stage", "kind", "level", "base_score"))
    source = bundles.source_hash(
        ENTERPRISE_FILE, str(enterprise.pk), json.dumps(versions), json.dumps(levels, default=str)
    )
    return bundles.bundle_request(
        kind=ENTERPRISE_FILE,
        subject=enterprise,
        source=source,
        organization=enterprise.organization,
        bureau=enterprise.bureau,
    )
