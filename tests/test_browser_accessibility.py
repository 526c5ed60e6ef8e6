"""Interface quality in Chromium, over the main pages of the three journeys (the applicant's,
the bureau's review and pilot work, the admin's exports and reports):

* axe-core (vendored from the npm registry in tests/vendor/axe-core/, no CDN) finds no serious
  or critical violation of WCAG 2.1 A/AA (GB/T 37668-2019 follows the same success criteria);
* the layout holds on a 1366 × 768 and a 1920 × 1080 office screen: the header rows do not wrap
  and the page itself never scrolls sideways (a wide table scrolls inside its own box);
* each page is saved as a screenshot in Chinese and English at both sizes under var/screenshots/
  for a reviewer (git-ignored).

The keyboard-only submission of the applicant's book is in test_browser_keyboard.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import log_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
LANGUAGES = ("zh-hans", "en")
BLOCKING = ("serious", "critical")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """The serious and critical violations axe finds on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        AXE_TAGS,
    )
    return [
        f"{violation['impact']} {violation['id']}: {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


def layout_problems(page) -> list[str]:
    """What breaks the layout at the current size: a wrapped header row, a page that scrolls
    sideways."""
    return page.evaluate(
        """() => {
        const problems = [];
        // One line: every visible item overlaps every other vertically.
        const oneLine = (selector) => {
            const boxes = [...document.querySelectorAll(selector)]
                .filter((el) => el.offsetParent !== null)
                .map((el) => el.getBoundingClientRect());
            if (!boxes.length) return true;
            return Math.max(...boxes.map((b) => b.top)) < Math.min(...boxes.map((b) => b.bottom));
        };
        if (!oneLine(".header-row > *")) problems.push("the header's first row wraps");
        if (!oneLine(".nav > li")) problems.push("the menu wraps");
        const page = document.documentElement;
        if (page.scrollWidth > page.clientWidth + 1)
            problems.push(`the page scrolls sideways (${page.scrollWidth} > ${page.clientWidth})`);
        return problems;
    }"""
    )


def walk_pages(browser, base, username, pages, journey) -> None:
    """Open every page as the user in both languages at both sizes; check axe (in Chinese, the
    default, and English) and the layout; save screenshots. Fails once, listing everything."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for language in LANGUAGES:
        context = browser.new_context(
            bypass_csp=True,  # axe is injected as an inline script; the pages' CSP forbids it
            viewport={"width": 1366, "height": 768},
            locale="zh-CN",
        )
        page = context.new_page()
        log_in(page, base, username)
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
        )
        for name, path in pages:
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status == 200, (name, path)
                found += [f"{name} {language} {size}: {p}" for p in layout_problems(page)]
                page.screenshot(
                    path=str(SCREENSHOTS / f"{journey}-{name}-{language}-{size}.png"),
                    full_page=True,
                )
            found += [f"{name} {language}: {v}" for v in axe_violations(page)]
        context.close()
    assert found == []


def draft_book(world, call, *, submit: bool):
    from applications import services as application_services
    from portal.scoping import visibility_scope
    from portal.visibility import Visibility
    from tests.books import fill_book

    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility,
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    fill_book(application, world.jm_leader_admin)
    if submit:
        with visibility_scope(visibility):
            application_services.application_submit(
                visibility=visibility, application=application, actor=world.jm_leader_admin
            )
    return application


def test_the_applicant_pages_pass_axe_and_fit_office_screens(
    live_server, transactional_db, world, leading_call, browser
):
    application = draft_book(world, leading_call, submit=False)
    section = "application-section"
    pages = [
        ("home", reverse("home")),
        ("calls", reverse("call-list")),
        ("call", reverse("call-detail", args=[leading_call.pk])),
        ("my-applications", reverse("my-applications")),
        ("book", reverse("application-detail", args=[application.pk])),
        ("part-fields", reverse(section, args=[application.pk, "basic_info"])),
        ("part-table", reverse(section, args=[application.pk, "cases"])),
        ("part-richtext", reverse(section, args=[application.pk, "work_plan"])),
        ("part-proofs", reverse(section, args=[application.pk, "proofs"])),
        ("part-declaration", reverse(section, args=[application.pk, "commitment"])),
        ("inbox", reverse("inbox")),
    ]
    walk_pages(browser, live_server.url, "jm_leader_admin", pages, "applicant")


def test_the_bureau_pages_pass_axe_and_fit_office_screens(
    live_server, transactional_db, world, leading_call, signed_enterprise, browser
):
    application = draft_book(world, leading_call, submit=True)
    enterprise = signed_enterprise.pk
    pages = [
        ("applications", reverse("staff-applications")),
        ("application", reverse("application-detail", args=[application.pk])),
        ("whole-book", reverse("application-book", args=[application.pk])),
        ("review-desk", reverse("review-desk", args=[leading_call.pk])),
        ("enterprises", reverse("enterprise-list")),
        ("enterprise", reverse("enterprise-detail", args=[enterprise])),
        ("enterprise-file", reverse("enterprise-file-part", args=[enterprise, "basic"])),
        ("assessment", reverse("assessment-form", args=[enterprise, "before", "self"])),
        ("progress", reverse("pilot-progress")),
        ("deadlines", reverse("deadline-list")),
    ]
    walk_pages(browser, live_server.url, "jm_manager", pages, "bureau")


def test_the_admin_report_and_export_pages_pass_axe_and_fit_office_screens(
    live_server, transactional_db, world, browser
):
    pages = [
        ("reports", reverse("report-list")),
        ("exports", reverse("export-jobs")),
        ("imports", reverse("imports")),
        ("organizations", reverse("organization-list")),
        ("expert-pool", reverse("expert-pool")),
        ("audit", reverse("audit-list")),
        ("dashboard", reverse("dashboard")),
    ]
    walk_pages(browser, live_server.url, "jm_admin", pages, "admin")


def test_the_account_pages_pass_axe_and_fit_office_screens(
    live_server, transactional_db, world, browser
):
    """What every user reaches from their name: password, second factor, sessions, API tokens
    and what the portal holds about them."""
    pages = [
        ("password", reverse("password-change")),
        ("two-factor", reverse("two-factor")),
        ("sessions", reverse("account-sessions")),
        ("tokens", reverse("token-list")),
        ("my-data", reverse("my-data")),
    ]
    walk_pages(browser, live_server.url, "jm_admin", pages, "account")


def test_the_login_page_passes_axe(live_server, transactional_db, world, browser):
    page = browser.new_page(bypass_csp=True, viewport={"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label(re.compile("^密码")).fill("wrong-password")
    page.get_by_role("button", name="登录").click()  # the error is announced
    assert page.get_by_role("alert").is_visible()
    assert axe_violations(page) == []
