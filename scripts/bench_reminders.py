#!/usr/bin/env python
"""make bench: reminder planning and claiming at a province's scale, on PostgreSQL.

100,000 open deadlines and 1,000,000 reminders in a database of the bench's own
(``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/portal_bench``, created and
migrated when missing). Each figure is a ratio against a lower bound measured in the same run:

* a quiet planning tick against an indexed count of the deadlines due for planning;
* a busy tick (1,000 deadlines due, three recipients each) against plain SQL that reads the same
  deadlines and inserts the same reminder rows;
* claiming a batch of 50 reminders against an indexed count of the rows still to send;
* queries per quiet tick at 10,000 and at 100,000 open deadlines.

Every figure is the median of five runs with its spread (min–max). Nothing is asserted.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import bench_database

ROOT = Path(__file__).resolve().parent.parent
DEADLINES, REMINDERS, USERS, BUSY, RUNS = 100_000, 1_000_000, 1_000, 1_000, 5
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")


def setup() -> None:
    bench_database.ensure(URL)
    bench_database.django_on(URL)


def seed(deadlines: int) -> None:
    """Users, open deadlines (already planned up to their next moment) and reminders, in SQL."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from portal.models import User

    subject = ContentType.objects.get_for_model(User).pk
    # Seeds the bench's own database in SQL: a million rows in seconds.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE portal_reminder, portal_notification, portal_deadline CASCADE")
        cursor.execute("DELETE FROM portal_user WHERE username LIKE 'bench%%'")
        cursor.execute(
            """
            INSERT INTO portal_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, full_name, phone, must_change_password)
            SELECT '!', false, 'bench' || n, '', '', '', false, true, now(), '', '', false
            FROM generate_series(1, %s) AS n
            """,
            [USERS],
        )
        cursor.execute(
            """
            INSERT INTO portal_deadline (kind, due_at, revision, title, link, subject_type_id,
                subject_id, status, next_plan_at, created_at, updated_at)
            SELECT 'bench', now() + (n %% 60 + 10) * interval '1 day', 1, 'd' || n, '', %s, n,
                'open', now() + (n %% 60 + 3) * interval '1 day', now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [subject, deadlines],
        )
        # Ten reminders per deadline, all sent except the last 5,000, which are due.
        cursor.execute(
            """
            INSERT INTO portal_reminder (deadline_id, revision, "offset", recipient_id, send_at,
                status, claimed_by)
            SELECT d.id, 1, k, u.id, now() - interval '1 hour',
                CASE WHEN row_number() OVER () > %s THEN 'pending' ELSE 'sent' END, ''
            FROM (SELECT id FROM portal_deadline ORDER BY id LIMIT %s) AS d
            CROSS JOIN generate_series(0, 9) AS k
            JOIN LATERAL (SELECT id FROM portal_user WHERE username = 'bench' || (d.id %% %s + 1))
                AS u ON true
            """,
            [REMINDERS - 5_000, REMINDERS // 10, USERS],
        )
        cursor.execute("ANALYZE portal_deadline")
        cursor.execute("ANALYZE portal_reminder")


def register_kind() -> list[int]:
    """A kind of the bench's own: three recipients per deadline, resolved for a whole batch."""
    from portal import deadlines
    from portal.models import User

    users = list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))

    def many(batch):
        return {d.pk: users[d.pk % 300 : d.pk % 300 + 3] for d in batch}

    deadlines.register(
        deadlines.DeadlineKind(
            code="bench",
            label=lambda: "bench",
            recipients=lambda d: many([d])[d.pk],
            recipients_many=many,
            default_offsets=(7, 3, 1, 0),
        )
    )
    return users


def timed(function) -> tuple[float, float, float]:
    function()  # warm up: connections, plans and caches, as on a running worker
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples), max(samples)


def line(label: str, measured, bound) -> None:
    ratio = measured[0] / bound[0] if bound[0] else float("inf")
    print(
        f"  {label:44}{measured[0] * 1000:9.1f} ms ({measured[1] * 1000:.1f}–{measured[2] * 1000:.1f})"
        f"{bound[0] * 1000:9.2f} ms ({bound[1] * 1000:.2f}–{bound[2] * 1000:.2f}){ratio:8.1f}×"
    )


def quiet_tick_queries() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import deadlines

    with CaptureQueriesContext(connection) as queries:
        deadlines.plan_reminders()
    return len(queries)


def main() -> int:
    setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from portal import deadlines

    register_kind()
    seed(10_000)
    queries_10k = quiet_tick_queries()
    seed(DEADLINES)
    queries_100k = quiet_tick_queries()
    now = timezone.now()

    def count_due_deadlines():
        # The lower bound: an indexed count, on the bench's own database.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM portal_deadline WHERE status = 'open' "
                "AND next_plan_at IS NOT NULL AND next_plan_at <= %s",
                [now],
            )
            cursor.fetchone()

    quiet = timed(lambda: deadlines.plan_reminders(now))
    quiet_bound = timed(count_due_deadlines)

    # A busy tick: 1,000 deadlines whose first offsets came due, three recipients each.
    def make_busy():
        # Sets up a busy tick on the bench's own database (rolled back after each run).
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE portal_deadline SET next_plan_at = %s, due_at = %s "
                "WHERE id IN (SELECT id FROM portal_deadline ORDER BY id DESC LIMIT %s)",
                [deadlines.PLAN_AT_NEXT_TICK, now + timedelta(hours=12), BUSY],
            )

    def busy_tick():
        with transaction.atomic():
            make_busy()
            deadlines.plan_reminders(now)
            transaction.set_rollback(True)

    def busy_bound():
        # The lower bound: plain SQL reading and inserting the same rows (rolled back).
        with transaction.atomic(), connection.cursor() as cursor:
            make_busy()
            cursor.execute(
                """
                WITH due AS (
                    SELECT id FROM portal_deadline WHERE status = 'open' AND next_plan_at <= %s
                    ORDER BY next_plan_at LIMIT %s FOR UPDATE SKIP LOCKED
                )
                INSERT INTO portal_reminder (deadline_id, revision, "offset", recipient_id,
                    send_at, status, claimed_by)
                SELECT due.id, 2, k, u.id, %s, 'pending', ''
                FROM due CROSS JOIN generate_series(0, 3) AS k
                CROSS JOIN (SELECT id FROM portal_user WHERE username LIKE 'bench%%' LIMIT 3) AS u
                """,
                [now, BUSY, now],
            )
            transaction.set_rollback(True)

    busy = timed(busy_tick)
    busy_lower = timed(busy_bound)

    claim_samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        ids = deadlines.claim_reminders(
            worker="bench", now=timezone.now(), timeout=timedelta(minutes=5), batch=50
        )
        claim_samples.append(time.perf_counter() - started)
        deadlines.Reminder.objects.filter(pk__in=ids).update(status="pending", claimed_by="")
    claimed = (statistics.median(claim_samples), min(claim_samples), max(claim_samples))

    def count_to_send():
        # The lower bound: an indexed count, on the bench's own database.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM portal_reminder WHERE status IN ('pending', 'sending')"
            )
            cursor.fetchone()

    claim_bound = timed(count_to_send)

    print(
        f"Reminders at scale ({DEADLINES:,} open deadlines, {REMINDERS:,} reminders, PostgreSQL), "
        f"median of {RUNS} (min–max):"
    )
    print(f"  {'':44}{'measured':>22}{'lower bound':>24}{'ratio':>9}")
    line("quiet planning tick / indexed count", quiet, quiet_bound)
    line(f"busy tick ({BUSY:,} due) / plain SQL insert", busy, busy_lower)
    line("claim 50 / indexed count of rows to send", claimed, claim_bound)
    print(f"  queries per quiet tick: {queries_10k} at 10,000 deadlines, {queries_100k} at 100,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
