"""Pilot documents as PDFs: the tripartite task book (002 附3) and the one-enterprise-one-file
record (002 附2), through the portal's document engine."""

import json
from collections.abc import Callable

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

from .models import EnterpriseFileSection, PilotEnterprise, TaskBook
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


def build_task_book(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    enterprise: PilotEnterprise = bundle.subject
    book = TaskBook.objects.get(enterprise=enterprise)
    with translation.override("zh-hans"):
        signatures = {s.party: s for s in book.signatures.select_related("signed_by")}
        body = render_to_string(
            "documents/task_book.html",
            {
                "book": book,
                "enterprise": enterprise,
                "budget_words": wan_to_upper(book.budget_wan),
                "signatures": signatures,
            },
        )
        title = str(translation.gettext("Digital transformation task book"))
        return build_bundle(
            cover_html=_cover(title, enterprise),
            parts=[Part(kind="html", title=title, html=body)],
            title=title,
            code=bundle.code,
            created=timezone.localtime(book.created_at),
            seal_path=None,
            progress=progress,
        )


def build_enterprise_file(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    enterprise: PilotEnterprise = bundle.subject
    book = file_book()
    stored = {s.key: s.data for s in EnterpriseFileSection.objects.filter(enterprise=enterprise)}
    with translation.override("zh-hans"):
        parts = []
        for section in book.sections:
            raw = stored.get(section["key"], {})
            values, issues = book.evaluate(section["key"], raw)
            title = str(numbered(section.get("number"), localized(section, "title")))
            parts.append(
                Part(
                    kind="html",
                    title=title,
                    html=render_to_string(
                        "documents/application_section.html",
                        {
                            "section": section_view(book, section["key"], raw, issues, values),
                            "title": title,
                            "seal": "",
                        },
                    ),
                )
            )
        levels = {
            stage: counting_assessment(enterprise, stage) for stage in Assessment.Stage.values
        }
        parts.append(
            Part(
                kind="html",
                title=str(translation.gettext("Digital-level assessment")),
                html=render_to_string(
                    "documents/assessment_levels.html",
                    {"before": levels["before"], "after": levels["after"]},
                ),
            )
        )
        title = book.definition["name"]
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
        book.goals,
        book.content,
        str(book.budget_wan),
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
