#!/usr/bin/env python
"""make bench: staff list pages at 100,000 rows against an indexed raw SQL query for the page.

A database of the bench's own (``BENCH_LIST_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/portal_bench_lists``) gets the demo world and 100,000 pilot
enterprises and 100,000 filed application books spread over Jiangmen's three counties (seeded
once, in SQL). For a province's and a county's staff, a page is what the view runs: the scoped
selector, the paginator's count (capped at 10,000, as the pages count) and the page's rows. The lower bound is hand-written SQL for the
same page (the same rows and count, with the bureau ids already known), on its best indexed plan.
Medians of twenty-one runs (page and bound alternating) with their spread; the page's query count at 10,000 and 100,000 rows.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import bench_database

ROOT = Path(__file__).resolve().parent.parent
# A page is as long as the portal's (portal.views.PAGE_SIZE, checked in main()).
ROWS, RUNS, PAGE = 100_000, 21, 25
URL = os.environ.get(
    "BENCH_LIST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_lists"
)


def setup() -> None:
    bench_database.ensure(URL)
    bench_database.django_on(URL)


def seed(rows: int) -> None:
    """Organizations, enterprises of one leading unit and filed books, up to ``rows`` of each
    (kept between runs: the database is the bench's own)."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from applications.models import Application, Call
    from pilots.models import LeadingUnit, PilotEnterprise
    from portal.models import Bureau, Organization, User
    from portal.scoping import scopes_disabled

    # The bench seeds its own database as the system, outside any user's scope.
    with scopes_disabled():
        if not Bureau.objects.exists():
            call_command("seed_demo", verbosity=0, allow_production=True)
        counties = list(
            Bureau.objects.filter(
                parent__division_code="440700", department=Bureau.Department.INDUSTRY
            )
        )
        unit = LeadingUnit.objects.order_by("pk").first()
        call = Call.objects.filter(kind="leading_unit").order_by("pk").first()
        author = User.objects.get(username="operator")
        have = Organization.objects.filter(name__startswith="bench-").count()
        now = timezone.now()
        for start in range(have, rows, 5000):
            numbers = range(start, min(rows, start + 5000))
            organizations = Organization.objects.bulk_create(
                [
                    Organization(
                        uscc=f"B{n:017d}",
                        name=f"bench-{n}",
                        home_bureau=counties[n % len(counties)],
                    )
                    for n in numbers
                ]
            )
            PilotEnterprise.objects.bulk_create(
                [
                    PilotEnterprise(
                        organization=o,
                        leading_unit=unit,
                        bureau=o.home_bureau,
                        sub_industry="bench",
                        scale="small",
                        above_scale=n % 3 == 0,
                        enrolled_at=now - timedelta(minutes=n),
                    )
                    for n, o in zip(numbers, organizations, strict=True)
                ]
            )
            Application.objects.bulk_create(
                [
                    Application(
                        call=call,
                        organization=o,
                        home_bureau=o.home_bureau,
                        status=Application.Status.SUBMITTED,
                        submitted_at=now - timedelta(minutes=n),
                        created_by=author,
                    )
                    for n, o in zip(numbers, organizations, strict=True)
                ]
            )
    # VACUUM on the bench's own database (no table data read).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a settled table


def page_of(selector, rows, user) -> float:
    """The view's work for the first page: scoped selector, count, and the rows the page shows."""
    from portal.scoping import visibility_scope
    from portal.views import CappedPaginator
    from portal.visibility import Visibility

    started = time.perf_counter()
    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        page = CappedPaginator(selector(visibility), PAGE, rows=rows).get_page(1)
        list(page)
    return time.perf_counter() - started


def queries_of(selector, rows, user) -> int:
    """The page's queries, counted apart from the timed runs (recording them costs time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page_of(selector, rows, user)
    return len(queries)


def raw_page(sql_rows: str, sql_count: str, params: list, user_id: int, *, calls: bool) -> float:
    """The same page by hand: the user's roles and bureau subtree (as the page must know them),
    with ``calls`` the calls of the user's bureaus (a county's page by hand must know whether its
    county issued any, whose books it would see as issuer), the capped count and the rows."""
    from django.db import connection

    started = time.perf_counter()
    # The lower bound: hand-written SQL for the same page, on the bench's own database.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT role, bureau_id, organization_id FROM portal_membership WHERE user_id = %s",
            [user_id],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT b.id FROM portal_bureau b JOIN portal_bureau r ON b.path LIKE r.path || '%%' "
            "JOIN portal_membership m ON m.bureau_id = r.id WHERE m.user_id = %s",
            [user_id],
        )
        cursor.fetchall()
        if calls:
            cursor.execute(
                "SELECT id, requires_recommendation FROM applications_call "
                "WHERE bureau_id = ANY(%s)",
                params,
            )
            cursor.fetchall()
        cursor.execute(sql_count, params)
        cursor.fetchone()
        cursor.execute(sql_rows, params)
        cursor.fetchall()
    return time.perf_counter() - started


def median(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), min(samples), max(samples)


def quartiles(samples: list[float]) -> tuple[float, float, float]:
    """Median and interquartile range of the runs' ratios (each run's page over the bound
    sampled right after it, so a load that drifts between runs cancels out)."""
    low, middle, high = statistics.quantiles(samples, n=4)
    return middle, low, high


def main() -> int:
    setup()
    from applications import selectors as application_selectors
    from pilots import selectors as pilot_selectors
    from portal.models import User
    from portal.views import PAGE_SIZE

    assert PAGE == PAGE_SIZE, "the bench's page is the portal's"
    lists = {
        "pilot enterprises": (
            lambda v: pilot_selectors.enterprise_list(),
            pilot_selectors.enterprise_page_rows,
            False,
            """SELECT e.id, e.enrolled_at, o.name, o.uscc, b.name, lo.name
               FROM pilots_pilotenterprise e
               JOIN portal_organization o ON o.id = e.organization_id
               JOIN portal_bureau b ON b.id = e.bureau_id
               JOIN pilots_leadingunit u ON u.id = e.leading_unit_id
               JOIN portal_organization lo ON lo.id = u.organization_id
               WHERE e.bureau_id = ANY(%s) ORDER BY e.enrolled_at DESC, e.id DESC LIMIT {page}""",
            """SELECT count(*) FROM (SELECT 1 FROM pilots_pilotenterprise
               WHERE bureau_id = ANY(%s) LIMIT 10001) AS capped""",
        ),
        "filed application books": (
            lambda v: application_selectors.staff_applications(),
            application_selectors.staff_application_page_rows,
            False,
            """SELECT a.id, a.submitted_at, o.name, o.uscc, c.title, b.name
               FROM applications_application a
               JOIN portal_organization o ON o.id = a.organization_id
               JOIN applications_call c ON c.id = a.call_id
               JOIN portal_bureau b ON b.id = a.home_bureau_id
               WHERE a.status NOT IN ('draft', 'withdrawn') AND c.bureau_id = ANY(%s)
               ORDER BY a.submitted_at DESC, a.id DESC LIMIT {page}""",
            """SELECT count(*) FROM (SELECT 1 FROM applications_application a
               JOIN applications_call c ON c.id = a.call_id
               WHERE a.status NOT IN ('draft', 'withdrawn') AND c.bureau_id = ANY(%s)
               LIMIT 10001) AS capped""",
        ),
        # A county sees the books of its own enterprises, to recommend them (001 §三(二)).
        "filed books to recommend": (
            lambda v: application_selectors.staff_applications(),
            application_selectors.staff_application_page_rows,
            True,
            """SELECT a.id, a.submitted_at, o.name, o.uscc, c.title, b.name
               FROM applications_application a
               JOIN portal_organization o ON o.id = a.organization_id
               JOIN applications_call c ON c.id = a.call_id
               JOIN portal_bureau b ON b.id = a.home_bureau_id
               WHERE a.status NOT IN ('draft', 'withdrawn') AND a.home_bureau_id = ANY(%s)
               ORDER BY a.submitted_at DESC, a.id DESC LIMIT {page}""",
            """SELECT count(*) FROM (SELECT 1 FROM applications_application a
               WHERE a.status NOT IN ('draft', 'withdrawn') AND a.home_bureau_id = ANY(%s)
               LIMIT 10001) AS capped""",
        ),
    }
    # Which list each persona's page is: a province files and reviews, a county recommends.
    pages_of = {
        "gd_manager": ("pilot enterprises", "filed application books"),
        "pj_manager": ("pilot enterprises", "filed books to recommend"),
    }
    results = {}
    queries = {}
    for rows in (10_000, ROWS):
        seed(rows)
        for persona in ("gd_manager", "pj_manager"):
            user = User.objects.get(username=persona)
            from portal.visibility import Visibility

            bureaus = sorted(Visibility.for_user(user).staff_bureau_ids)
            for name in pages_of[persona]:
                selector, rows_of, calls, sql_rows, sql_count = lists[name]
                sql_rows = sql_rows.replace("{page}", str(PAGE))
                page_of(selector, rows_of, user)  # warm up
                raw_page(sql_rows, sql_count, [bureaus], user.pk, calls=calls)
                # Page and bound alternate, so both are sampled under the same machine load.
                measured, bound = [], []
                for _ in range(RUNS):
                    measured.append(page_of(selector, rows_of, user))
                    bound.append(raw_page(sql_rows, sql_count, [bureaus], user.pk, calls=calls))
                queries[(name, persona, rows)] = queries_of(selector, rows_of, user)
                if rows == ROWS:
                    ratios = [m / b for m, b in zip(measured, bound, strict=True)]
                    results[(name, persona)] = (median(measured), median(bound), quartiles(ratios))
    print(
        f"Staff list pages at {ROWS:,} rows (first page of {PAGE}, with its count), PostgreSQL, "
        f"{RUNS} runs: times as median (min–max), the ratio as the median of the runs' ratios "
        "(interquartile range):"
    )
    print(f"  {'':40}{'page':>24}{'raw SQL':>24}{'ratio':>20}{'queries 10k/100k':>18}")
    for (name, persona), (page, bound, ratio) in results.items():
        print(
            f"  {name + ' · ' + persona:40}"
            f"{page[0] * 1000:8.1f} ms ({page[1] * 1000:.1f}–{page[2] * 1000:.1f})"
            f"{bound[0] * 1000:9.1f} ms ({bound[1] * 1000:.1f}–{bound[2] * 1000:.1f})"
            f"{ratio[0]:7.2f}× ({ratio[1]:.2f}–{ratio[2]:.2f})"
            f"{queries[(name, persona, 10_000)]:>10}/{queries[(name, persona, ROWS)]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
