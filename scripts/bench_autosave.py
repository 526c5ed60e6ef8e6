#!/usr/bin/env python
"""make bench: 200 applicants autosaving at once, under gunicorn on 127.0.0.1.

A fresh database of the bench's own (``BENCH_WEB_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/portal_bench_web``) gets the demo world and 200 organizations,
each with a draft book on Jiangmen's leading-unit call. gunicorn serves the portal with production
settings; 200 clients, one per applicant, each autosave their work plan several times in a row.
The lower bound is a trivial view (the login page) under the same load, from the same clients.
Reported: requests, 5xx, lost writes (an acknowledged save that is not what the database holds at
the end), median and p95 latency of each, and the p95 ratio; three runs, with their spread.
Only 127.0.0.1 is contacted, and every run is bounded in requests and time.
"""

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_database

ROOT = Path(__file__).resolve().parent.parent
CLIENTS, SAVES, RUNS = 200, 5, 3
URL = os.environ.get(
    "BENCH_WEB_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_web"
)
SECRET = "bench-" + "x" * 50


def environment(static_root: str, var_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "PORTAL_VAR_DIR": var_dir,
    }


def prepare(env: dict[str, str]) -> list[tuple[int, str]]:
    """The demo world, 200 applicants with a draft book each; returns (application, session)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from applications.models import Call
    from applications.services import application_start
    from portal.models import Membership, Organization, Role, User
    from portal.scoping import scopes_disabled, visibility_scope
    from portal.uscc import with_check_digit
    from portal.visibility import Visibility

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, allow_production=True)  # a throwaway database
    call_command("collectstatic", verbosity=0, interactive=False)
    pairs = []
    # The bench seeds its own throwaway database as the system, outside any user's scope.
    with scopes_disabled():
        call = Call.objects.get(kind="leading_unit", status="published")
        county = call.bureau
        for n in range(CLIENTS):
            user = User.objects.create(username=f"load{n:03d}", password="!")
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703MA5L{n:05d}"),
                name=f"负载测试企业{n:03d}",
                home_bureau=county,
            )
            Membership.objects.create(user=user, organization=organization, role=Role.ORG_ADMIN)
            visibility = Visibility.for_user(user)
            with visibility_scope(visibility):
                application = application_start(
                    visibility=visibility, call=call, organization=organization, actor=user
                )
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            pairs.append((application.pk, session.session_key))
    return pairs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str) -> None:
    import requests

    stop = time.monotonic() + 60
    while time.monotonic() < stop:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def keep_cookies(http) -> None:
    """Production cookies are HTTPS-only; over plain HTTP on 127.0.0.1 the client sends them on
    itself, as a browser behind the TLS proxy would."""
    for cookie in [c for c in http.cookies if c.secure]:
        http.cookies.clear(cookie.domain, cookie.path, cookie.name)
        http.cookies.set(cookie.name, cookie.value, domain="127.0.0.1")


def client_run(base: str, application: int, session_key: str, run: int, barrier) -> dict:
    """One applicant: autosave SAVES times (each on the version the last save gave), each save
    followed by a load of the login page, so both see the same load; all clients start
    together."""
    import requests

    http, anonymous = requests.Session(), requests.Session()
    http.cookies.set("sessionid", session_key, domain="127.0.0.1")
    url = f"{base}/applications/{application}/sections/work_plan/"
    page = http.get(url, timeout=60)
    version = int(page.text.split('name="base_version" value="', 1)[1].split('"', 1)[0])
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    keep_cookies(http)
    saves, trivial, errors, acknowledged, saved, statuses = [], [], 0, None, 0, []
    barrier.wait()
    for number in range(SAVES):
        text = f"<p>第{run}轮第{number}次保存：{application}</p>"
        started = time.perf_counter()
        answer = http.post(
            url,
            data={"base_version": version, "html": text},
            headers={"X-Autosave": "1", "X-CSRFToken": token, "Referer": url},
            timeout=120,
        )
        saves.append(time.perf_counter() - started)
        keep_cookies(http)
        if answer.status_code == 200:
            version, acknowledged, saved = answer.json()["version"], text, saved + 1
        elif answer.status_code >= 500:
            errors += 1
        else:
            statuses.append(answer.status_code)
        started = time.perf_counter()
        answer = anonymous.get(f"{base}/accounts/login/", timeout=120)
        trivial.append(time.perf_counter() - started)
        errors += answer.status_code >= 500
    return {
        "application": application,
        "saves": saves,
        "trivial": trivial,
        "errors": errors,
        "acknowledged": acknowledged,
        "saved": saved,
        "refused": statuses,
    }


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def lost_writes(results: list[dict]) -> int:
    from applications.models import ApplicationSection
    from portal.scoping import scopes_disabled

    # Reads back the bench's own rows to check for lost writes; nothing is shown to a user.
    with scopes_disabled():
        held = dict(
            ApplicationSection.objects.filter(
                application_id__in=[r["application"] for r in results], key="work_plan"
            ).values_list("application_id", "data")
        )
    return sum(
        1
        for r in results
        if r["acknowledged"] is not None
        and r["acknowledged"] not in str(held.get(r["application"]))
    )


def main() -> int:
    scratch = tempfile.mkdtemp(prefix="bench-web-")
    env = environment(str(Path(scratch) / "static"), str(Path(scratch) / "var"))
    bench_database.ensure(URL, fresh=True)
    pairs = prepare(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workers = str(2 * (os.cpu_count() or 1) + 1)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", workers],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        wait_for(f"{base}/healthz")
        for run in range(RUNS):
            barrier = threading.Barrier(CLIENTS, timeout=300)
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                results = list(
                    pool.map(
                        client_run, *zip(*[(base, *p, run, barrier) for p in pairs], strict=True)
                    )
                )
            refused = [code for r in results for code in r["refused"]]
            if refused:
                print(f"  run {run + 1}: refused saves by status {sorted(set(refused))}")
            saves = [s for r in results for s in r["saves"]]
            trivial = [s for r in results for s in r["trivial"]]
            rows.append(
                {
                    "requests": len(saves) + len(trivial),
                    "saved": sum(r["saved"] for r in results),
                    "errors": sum(r["errors"] for r in results),
                    "lost": lost_writes(results),
                    "save_p50": statistics.median(saves),
                    "save_p95": p95(saves),
                    "trivial_p50": statistics.median(trivial),
                    "trivial_p95": p95(trivial),
                }
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"{CLIENTS} concurrent autosaves ({SAVES} each) under gunicorn ({workers} workers) on "
        f"127.0.0.1, against the login page under the same load; {RUNS} runs:"
    )
    print(
        f"  {'run':>4}{'requests':>10}{'saved':>7}{'5xx':>6}{'lost':>6}{'save p50/p95 ms':>20}"
        f"{'trivial p50/p95 ms':>22}{'p95 ratio':>11}"
    )
    ratios = []
    for number, row in enumerate(rows, 1):
        ratio = row["save_p95"] / row["trivial_p95"]
        ratios.append(ratio)
        print(
            f"  {number:>4}{row['requests']:>10}{row['saved']:>7}{row['errors']:>6}{row['lost']:>6}"
            f"{row['save_p50'] * 1000:>10.0f}/{row['save_p95'] * 1000:<9.0f}"
            f"{row['trivial_p50'] * 1000:>12.0f}/{row['trivial_p95'] * 1000:<9.0f}{ratio:>9.2f}×"
        )
    print(
        f"  p95 ratio median {statistics.median(ratios):.2f}× (spread {min(ratios):.2f}–"
        f"{max(ratios):.2f}); lost writes {sum(r['lost'] for r in rows)}, "
        f"5xx {sum(r['errors'] for r in rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
