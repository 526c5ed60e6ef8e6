#!/usr/bin/env python
"""make bench: the stamped bundle against its lower bound, WeasyPrint alone on the same HTML.

Each side runs in its own process (so peak memory is its own), three times; the report gives
the best time and peak RSS of each and their ratios. Nothing is asserted: ratios are read by
people, and the same run measures both sides on the same machine.
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

ROOT = Path(__file__).resolve().parent.parent
SECTIONS, ROWS, APPENDED_PDFS, APPENDED_PAGES = 30, 60, 5, 10


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
    return {"seconds": time.perf_counter() - started, "pages": rendered.pages}


def run_weasyprint(folder: Path) -> dict:
    from portal.documents import html_to_pdf, page_html

    html = page_html(
        "".join(f'<div style="page-break-before: always">{p}</div>' for p in parts_html())
    )
    started = time.perf_counter()
    pages = html_to_pdf(html, folder / "plain.pdf")
    return {"seconds": time.perf_counter() - started, "pages": pages}


def child(kind: str, folder: str) -> None:
    setup()
    result = (run_bundle if kind == "bundle" else run_weasyprint)(Path(folder))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
        return 0
    setup()
    with tempfile.TemporaryDirectory() as scratch:
        appended(Path(scratch))
        results: dict[str, list[dict]] = {"weasyprint": [], "bundle": []}
        for _round in range(3):
            for kind in results:
                out = subprocess.run(
                    [sys.executable, __file__, kind, scratch],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
                results[kind].append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in results.items()}
    peak = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    print(
        f"Stamped bundle vs WeasyPrint alone on the same HTML ({SECTIONS} sections of {ROWS} rows, "
        f"+{APPENDED_PDFS}×{APPENDED_PAGES} appended pages), best of 3, each in its own process:"
    )
    print(f"{'':22}{'seconds':>10}{'peak MB':>10}{'pages':>8}")
    for kind in ("weasyprint", "bundle"):
        print(f"{kind:22}{best[kind]['seconds']:>10.2f}{peak[kind]:>10.0f}{best[kind]['pages']:>8}")
    time_ratio = best["bundle"]["seconds"] / best["weasyprint"]["seconds"]
    memory_ratio = peak["bundle"] / peak["weasyprint"]
    print(
        f"ratio (bundle / lower bound): time {time_ratio:.2f}×, peak memory {memory_ratio:.2f}×  "
        f"(spread of bundle times: {statistics.pstdev(r['seconds'] for r in results['bundle']):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
