#!/usr/bin/env python
"""make bench: each measured path against its lower bound, both in the same run.

- The stamped bundle against WeasyPrint alone on the same HTML; the bundle again with the GB 2312
  cut of the shipped font (the font before issue 16, cut from the shipped files by
  ``scripts/subset-fonts --gb2312``), to show what the GB 18030 font costs; and the PAdES
  signature the portal adds after stamping.
- The pilot-enterprise list exporter (``write_xlsx`` of 100,000 rows to a temporary file) against
  a raw openpyxl write-only loop over the same query, on PostgreSQL (a ``_bench`` database beside
  the configured one, filled once with ``bulk_create``); and the exporter at 10,000 rows, to show
  that its memory does not grow with the rows.

Each side runs in its own process (so peak memory is its own), three times; the report gives
the best time and peak RSS of each and their ratios. Nothing is asserted: ratios are read by
people, and the same run measures both sides on the same machine. ``scripts/bench.py pdf`` or
``scripts/bench.py exports`` runs one of the two.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SECTIONS, ROWS, APPENDED_PDFS, APPENDED_PAGES = 30, 60, 5, 10
# Rounds of the PDF bench (best of them is reported); fewer on a crowded machine.
ROUNDS = int(os.environ.get("PORTAL_BENCH_ROUNDS", "3"))


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def parts_html() -> list[str]:
    rows = "".join(
        f"<tr><td>{n}</td><td>江门市某五金制品有限公司{n}</td><td>设备联网与数据采集</td><td>2024-05-{n % 28 + 1:02d}</td><td>{n * 3.5:.1f}</td></tr>"
        for n in range(ROWS)
    )
    return [
        f"<h2>第{s + 1}部分 服务案例清单</h2><table><thead><tr><th>序号</th><th>服务企业</th><th>内容</th><th>日期</th><th>金额（万元）</th></tr></thead><tbody>{rows}</tbody></table>"
        for s in range(SECTIONS)
    ]


def appended(folder: Path) -> list[Path]:
    from portal.documents import html_to_pdf, page_html

    paths = []
    for n in range(APPENDED_PDFS):
        target = folder / f"attachment{n}.pdf"
        html_to_pdf(
            page_html(
                "".join(
                    f'<p style="page-break-after: always">附件{n} 第{p + 1}页</p>'
                    for p in range(APPENDED_PAGES)
                )
            ),
            target,
        )
        paths.append(target)
    return paths


def run_bundle(folder: Path) -> dict:
    from datetime import datetime

    from portal.documents import Part, build_bundle, page_html

    parts = [
        Part(kind="html", title=f"第{i + 1}部分", html=html) for i, html in enumerate(parts_html())
    ]
    parts += [
        Part(kind="pdf", title=f"附件{i}", path=path, level=2)
        for i, path in enumerate(sorted(folder.glob("attachment*.pdf")))
    ]
    started = time.perf_counter()
    rendered = build_bundle(
        cover_html=page_html("<h1>基准测试</h1>"),
        parts=parts,
        title="bench",
        code="BENC-HMAR-KXXX",
        created=datetime(2025, 9, 1),
        seal_path=None,
    )
    seconds = time.perf_counter() - started
    from portal import signing

    started = time.perf_counter()
    signing.sign_pdf(rendered.pdf)
    return {
        "seconds": seconds,
        "pages": rendered.pages,
        "sign_seconds": time.perf_counter() - started,
    }


def run_weasyprint(folder: Path) -> dict:
    from portal.documents import html_to_pdf, page_html

    html = page_html(
        "".join(f'<div style="page-break-before: always">{p}</div>' for p in parts_html())
    )
    started = time.perf_counter()
    pages = html_to_pdf(html, folder / "plain.pdf")
    return {"seconds": time.perf_counter() - started, "pages": pages}


# --- list exports ------------------------------------------------------------------------------
EXPORT_ROWS, EXPORT_SMALL, BATCH = 100_000, 10_000, 5_000
BENCH_USER = "jm_manager"  # Jiangmen's manager sees both counties the rows are in


def bench_database_url() -> str | None:
    """The configured PostgreSQL URL with the database renamed ``<name>_bench``, or None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


def bench_database() -> None:
    """Create the bench database once (kept between runs) and bring it to the latest migration."""
    from django.db import connection

    bench_name = urlsplit(bench_database_url() or "").path.lstrip("/")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)


def populate() -> None:
    """The demo world and 100,000 pilot enterprises: 10,000 in Pengjiang, the rest in Jianghai."""
    from decimal import Decimal

    from django.core.management import call_command

    from demo.world import build_world
    from pilots.models import LeadingUnit, PilotEnterprise
    from portal.models import Bureau, Organization
    from portal.scoping import scopes_disabled
    from portal.uscc import with_check_digit

    # The bench fills its own database as the system: no user's scope applies to set-up rows.
    with scopes_disabled():
        if PilotEnterprise.objects.count() == EXPORT_ROWS:
            return
        call_command("flush", interactive=False, verbosity=0)
        world = build_world()
        unit = LeadingUnit.objects.create(
            organization=world.jm_leader,
            bureau=world.jm,
            kind=LeadingUnit.Kind.INDUSTRY_CHAIN,
            sub_industries=["五金制品及零配件"],
            selected_at=world.jm_leader.created_at,
        )

        def county(n: int) -> Bureau:
            return world.pj if n < EXPORT_SMALL else world.jh

        for start in range(0, EXPORT_ROWS, BATCH):
            numbers = range(start, start + BATCH)
            organizations = Organization.objects.bulk_create(
                Organization(
                    uscc=with_check_digit(f"91440703MB{n:07d}"),
                    name=f"江门市基准测试五金制品有限公司{n:06d}",
                    home_bureau=county(n),
                )
                for n in numbers
            )
            PilotEnterprise.objects.bulk_create(
                PilotEnterprise(
                    organization=organization,
                    leading_unit=unit,
                    bureau=county(n),
                    sub_industry="五金制品及零配件",
                    scale=PilotEnterprise.Scale.SMALL,
                    above_scale=n % 3 == 0,
                    tier=PilotEnterprise.Tier.NONE,
                    revenue=Decimal(n % 9000) + Decimal("0.50"),
                    profit=Decimal(n % 700),
                )
                for n, organization in zip(numbers, organizations, strict=True)
            )


def _export_params(rows: int) -> dict[str, str]:
    from portal.models import Bureau

    if rows == EXPORT_SMALL:
        return {"county": str(Bureau.objects.get(division_code="440703").pk)}
    return {}


def raw_xlsx(out: object, params: dict[str, str]) -> int:
    """The lower bound: the same query, its values appended to a write-only sheet as they are."""
    from openpyxl import Workbook

    from pilots.list_exports import enterprise_filters
    from pilots.selectors import enterprise_list

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("raw")
    sheet.append(
        ["name", "uscc", "county", "unit", "sub", "scale", "above", "tier", "revenue", "profit"]
        + ["status", "enrolled", "completed"]
    )
    written = 0
    for e in enterprise_list(**enterprise_filters(params)).iterator(chunk_size=2000):
        sheet.append(
            [
                e.organization.name,
                e.organization.uscc,
                e.bureau.region_name,
                e.leading_unit.organization.name,
                e.sub_industry,
                e.scale,
                e.above_scale,
                e.tier,
                e.revenue,
                e.profit,
                e.status,
                e.enrolled_at.replace(tzinfo=None),
                e.completed_on,
            ]
        )
        written += 1
    workbook.save(out)
    return written


def run_export(kind: str, rows: int) -> dict:
    from portal import exporters
    from portal.models import User
    from portal.scoping import visibility_scope
    from portal.visibility import Visibility

    visibility = Visibility.for_user(User.objects.get(username=BENCH_USER))
    # The process's high-water mark once Django, the apps and a connection are loaded: what the
    # export adds on top is its own.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with visibility_scope(visibility), tempfile.TemporaryFile() as out:
        params = _export_params(rows)
        started = time.perf_counter()
        if kind == "exporter":
            exporter = exporters.EXPORTERS["pilot_enterprises"].from_params(
                visibility=visibility, params=params
            )
            written = exporter.write_xlsx(out)
        else:
            written = raw_xlsx(out, params)
        seconds = time.perf_counter() - started
        size = out.tell()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    return {"seconds": seconds, "rows": written, "mb": size / 2**20, "grown_mb": grown}


def export_bench() -> None:
    url = bench_database_url()
    if url is None:
        print("List export benchmark skipped: it runs on PostgreSQL (set DATABASE_URL).")
        return
    bench_database()
    populate()
    env = {**os.environ, "DATABASE_URL": url}
    sides = [("raw", EXPORT_ROWS), ("exporter", EXPORT_ROWS), ("exporter", EXPORT_SMALL)]
    results: dict[tuple[str, int], list[dict]] = {side: [] for side in sides}
    for _round in range(3):
        for kind, rows in sides:
            out = subprocess.run(
                [sys.executable, __file__, f"export-{kind}", str(rows)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=env,
            )
            results[(kind, rows)].append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in results.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    grown = {k: max(r["grown_mb"] for r in v) for k, v in results.items()}
    print(
        "Pilot-enterprise list exporter (write_xlsx to a temporary file) vs a raw openpyxl "
        "write-only loop over the same query, PostgreSQL, best of 3, each in its own process "
        "(peak: the process's maximum RSS; grown: what the export added to it):"
    )
    print(f"{'':12}{'rows':>9}{'seconds':>10}{'peak MB':>10}{'grown MB':>10}{'file MB':>9}")
    for side in sides:
        print(
            f"{side[0]:12}{best[side]['rows']:>9}{best[side]['seconds']:>10.2f}"
            f"{peak[side]:>10.0f}{grown[side]:>10.1f}{best[side]['mb']:>9.1f}"
        )
    big, small, raw = ("exporter", EXPORT_ROWS), ("exporter", EXPORT_SMALL), ("raw", EXPORT_ROWS)
    print(
        f"ratio (exporter / raw loop, {EXPORT_ROWS:,} rows): time "
        f"{best[big]['seconds'] / best[raw]['seconds']:.2f}×, peak memory "
        f"{peak[big] / peak[raw]:.2f}×; exporter at {EXPORT_ROWS:,} vs {EXPORT_SMALL:,} rows: "
        f"peak {peak[big]:.0f} vs {peak[small]:.0f} MB, grown {grown[big]:.1f} vs "
        f"{grown[small]:.1f} MB"
    )


def child(kind: str, arg: str) -> None:
    setup()
    if kind.startswith("export-"):
        result = run_export(kind.removeprefix("export-"), int(arg))
    else:
        result = (run_weasyprint if kind == "weasyprint" else run_bundle)(Path(arg))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
        return 0
    which = sys.argv[1] if len(sys.argv) == 2 else "all"
    setup()
    if which in ("all", "pdf"):
        pdf_bench()
    if which in ("all", "exports"):
        export_bench()
    return 0


def gb2312_fonts() -> Path:
    """The GB 2312 cut of the shipped fonts (made once, kept under var/ beside the bench data)."""
    from django.conf import settings

    shipped = sorted(Path(settings.PORTAL_FONT_DIR).glob("*.otf"))
    stamp = "-".join(str(int(path.stat().st_mtime)) for path in shipped)
    folder = Path(settings.VAR_DIR) / f"bench-fonts-gb2312-{stamp}"
    if not folder.is_dir():
        partial = folder.with_suffix(".partial")
        partial.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "subset-fonts"), "--gb2312", str(partial)],
            check=True,
            cwd=ROOT,
        )
        partial.rename(folder)
    return folder


def pdf_bench() -> None:
    from django.conf import settings

    cut = gb2312_fonts()
    environments = {
        "weasyprint": {},
        "bundle": {},
        "bundle-gb2312": {"PORTAL_FONT_DIR": str(cut)},
    }
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as keys:
        appended(Path(scratch))
        results: dict[str, list[dict]] = {kind: [] for kind in environments}
        for _round in range(ROUNDS):
            for kind, extra in environments.items():
                out = subprocess.run(
                    [sys.executable, __file__, kind, scratch],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                    env={**os.environ, "PORTAL_SIGNING_DIR": keys, **extra},
                )
                results[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in results.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    print(
        f"Stamped bundle vs WeasyPrint alone on the same HTML ({SECTIONS} sections of {ROWS} rows, "
        f"+{APPENDED_PDFS}×{APPENDED_PAGES} appended pages), best of {ROUNDS}, each in its own process:"
    )
    print(f"{'':22}{'seconds':>10}{'peak MB':>10}{'pages':>8}")
    for kind in environments:
        print(f"{kind:22}{best[kind]['seconds']:>10.2f}{peak[kind]:>10.0f}{best[kind]['pages']:>8}")
    time_ratio = best["bundle"]["seconds"] / best["weasyprint"]["seconds"]
    memory_ratio = peak["bundle"] / peak["weasyprint"]
    print(
        f"ratio (bundle / lower bound): time {time_ratio:.2f}×, peak memory {memory_ratio:.2f}×  "
        f"(spread of bundle times: {statistics.pstdev(r['seconds'] for r in results['bundle']):.2f} s)"
    )
    sizes = {
        name: sum(p.stat().st_size for p in folder.glob("*.otf")) / 1e6
        for name, folder in (("GB 18030", Path(settings.PORTAL_FONT_DIR)), ("GB 2312", cut))
    }
    print(
        f"font change (bundle with the GB 18030 font / with its GB 2312 cut, "
        f"{sizes['GB 18030']:.1f} MB vs {sizes['GB 2312']:.1f} MB of font files): time "
        f"{best['bundle']['seconds'] / best['bundle-gb2312']['seconds']:.2f}×, peak memory "
        f"{peak['bundle'] / peak['bundle-gb2312']:.2f}×"
    )
    signing = min(r["sign_seconds"] for r in results["bundle"])
    print(
        f"PAdES signature after stamping: {signing:.2f} s "
        f"({signing / best['bundle']['seconds']:.2f}× the bundle's render)"
    )


if __name__ == "__main__":
    sys.exit(main())
