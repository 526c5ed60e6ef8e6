"""Review documents as PDFs: the ranking table with every expert's sheet, and the publicity notice."""

import json
from collections.abc import Callable
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal import bundles
from portal.documents import Part, Rendered, build_bundle, page_html
from portal.models import Bureau, DocumentBundle
from portal.storage import local_path

from .models import Publicity, ReviewRound, ScoreSheet
from .scoring import sheet_total
from .selectors import ranking

RANKING = "ranking_table"
PUBLICITY = "publicity_notice"


def build_ranking(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    review_round: ReviewRound = bundle.subject
    with translation.override("zh-hans"):
        groups = ranking(review_round)
        sheets = (
            ScoreSheet.objects.filter(
                assignment__round=review_round, status=ScoreSheet.Status.SUBMITTED
            )
            .select_related("assignment__expert", "assignment__application__organization")
            .order_by("assignment__application__organization__name", "assignment__expert__username")
        )
        parts = [
            Part(
                kind="html",
                title=str(review_round.name),
                html=render_to_string(
                    "documents/ranking.html", {"round": review_round, "groups": groups}
                ),
            )
        ]
        for sheet in sheets:
            rows = [
                (c, sheet.scores.get(c["key"], ""), sheet.comments.get(c["key"], ""))
                for c in review_round.criteria
            ]
            parts.append(
                Part(
                    kind="html",
                    title=f"{sheet.assignment.application.organization.name} · {sheet.assignment.expert}",
                    level=2,
                    html=render_to_string(
                        "documents/score_sheet.html",
                        {
                            "sheet": sheet,
                            "rows": rows,
                            "total": sheet_total(review_round.criteria, sheet.scores),
                        },
                    ),
                )
            )
        cover = page_html(
            render_to_string(
                "documents/simple_cover.html",
                {
                    "title": review_round.call.title,
                    "subtitle": review_round.name,
                    "issuer": review_round.call.bureau.name,
                },
            )
        )
        return build_bundle(
            cover_html=cover,
            parts=parts,
            title=f"{review_round.call.title} · {review_round.name}",
            code=bundle.code,
            created=timezone.localtime(review_round.closed_at or timezone.now()),
            seal_path=_seal_path(review_round.call.bureau),
            progress=progress,
        )


def build_publicity(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    publicity: Publicity = bundle.subject
    with translation.override("zh-hans"):
        body = render_to_string(
            "documents/publicity.html", {"publicity": publicity, "entries": publicity.entries.all()}
        )
        cover = page_html(
            render_to_string(
                "documents/simple_cover.html",
                {
                    "title": publicity.title,
                    "subtitle": publicity.call.document_number,
                    "issuer": publicity.call.bureau.name,
                },
            )
        )
        return build_bundle(
            cover_html=cover,
            parts=[Part(kind="html", title=publicity.title, html=body)],
            title=publicity.title,
            code=bundle.code,
            created=timezone.localtime(publicity.starts_at or timezone.now()),
            seal_path=_seal_path(publicity.call.bureau),
            progress=progress,
        )


def _seal_name(bureau: Bureau) -> str:
    # A new seal makes a new document: the seal is part of the source.
    return bureau.seal.name if bureau.seal else ""


def _seal_path(bureau: Bureau) -> Path | None:
    """The issuing bureau's seal, on the cover and as the cross-page seal (骑缝章)."""
    return local_path(bureau.seal) if bureau.seal else None


def request_ranking(review_round: ReviewRound) -> DocumentBundle:
    sheets = list(
        ScoreSheet.objects.filter(assignment__round=review_round)
        .order_by("pk")
        .values_list("pk", "status", "scores")
    )
    source = bundles.source_hash(
        RANKING,
        str(review_round.pk),
        review_round.status,
        json.dumps(sheets, sort_keys=True, default=str),
        _seal_name(review_round.call.bureau),
    )
    return bundles.bundle_request(
        kind=RANKING,
        subject=review_round,
        source=source,
        bureau=review_round.call.bureau,
    )


def request_publicity(publicity: Publicity) -> DocumentBundle:
    entries = list(publicity.entries.values_list("pk", "organization_name", "withdrawn"))
    source = bundles.source_hash(
        PUBLICITY,
        str(publicity.pk),
        publicity.status,
        publicity.title,
        publicity.body,
        str(publicity.ends_at),
        json.dumps(entries, default=str),
        _seal_name(publicity.call.bureau),
    )
    return bundles.bundle_request(
        kind=PUBLICITY,
        subject=publicity,
        source=source,
        bureau=publicity.call.bureau,
    )
