"""The applicant's submission with the keyboard alone (WCAG 2.1.1; GB/T 37668-2019 §6.2.1): no
click, no tap; Tab, Shift+Tab, Enter, Space and typing. Every control that takes the focus shows
it (WCAG 2.4.7)."""

import pytest

from applications import services as application_services
from applications.models import ApplicationSection
from portal.scoping import visibility_scope
from portal.visibility import Visibility
from tests.books import fill_book, post
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName,
        text: (el.innerText || el.value || "").trim(),
        label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : "",
        visible: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
            || style.boxShadow !== "none",
    };
}"""


def tab_to(page, wanted, *, limit=120):
    """Press Tab until the focused element's text or label contains ``wanted``; every stop on
    the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"focus is not visible on {focused}"
        if wanted in focused["text"] or wanted in focused["label"]:
            return focused
    raise AssertionError(f"{wanted!r} cannot be reached with Tab")


def book_without_declaration(world, call):
    """The whole book filled (tests/books.py), except the commitment letter's agreement."""
    visibility = Visibility.for_user(world.jm_leader_admin)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility,
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    fill_book(application, world.jm_leader_admin)
    with visibility_scope(visibility):
        section = ApplicationSection.objects.get(application=application, key="commitment")
        application_services.application_save_section(
            visibility=visibility,
            application=application,
            key="commitment",
            post=post({"signatory": "", "signed_on": "2025-09-01"}),
            base_version=section.version,
            actor=world.jm_leader_admin,
        )
    return application


def test_an_applicant_signs_and_submits_the_book_with_the_keyboard_only(
    live_server, transactional_db, world, leading_call, browser
):
    from playwright.sync_api import expect

    from demo.world import DEMO_PASSWORD

    application = book_without_declaration(world, leading_call)
    base = live_server.url
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    keyboard = page.keyboard

    # Log in: the form puts the focus in its first field.
    page.goto(f"{base}/accounts/login/")
    assert page.evaluate(FOCUSED)["label"].startswith("用户名")
    keyboard.type("jm_leader_admin")
    tab_to(page, "密码")
    keyboard.type(DEMO_PASSWORD)
    keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    # Through the menu to the book.
    tab_to(page, "我的申报")
    keyboard.press("Enter")
    page.wait_for_url(f"{base}/my/applications/")
    # The first Tab stop is the skip link; it passes the header and menu.
    assert tab_to(page, "跳到主要内容", limit=1)["tag"] == "A"
    keyboard.press("Enter")
    tab_to(page, leading_call.title, limit=5)
    keyboard.press("Enter")
    page.wait_for_url(f"{base}/applications/{application.pk}/")
    expect(page.get_by_text("提交前须解决以下 2 个问题")).to_be_visible()

    # The commitment letter: Space ticks the agreement, the name is typed, Enter saves.
    tab_to(page, "十、")
    keyboard.press("Enter")
    page.wait_for_url(f"{base}/applications/{application.pk}/sections/commitment/")
    focused = tab_to(page, "我已阅读")
    assert focused["tag"] == "INPUT"
    keyboard.press("Space")
    expect(page.get_by_label("我已阅读", exact=False)).to_be_checked()
    tab_to(page, "签署人")
    keyboard.type("孙总")
    tab_to(page, "保存")
    keyboard.press("Enter")
    expect(page.get_by_label("签署人", exact=False)).to_have_value("孙总")

    # Back to the book and submit it.
    tab_to(page, leading_call.title)
    keyboard.press("Enter")
    page.wait_for_url(f"{base}/applications/{application.pk}/")
    expect(page.get_by_text("必填内容已全部完成。")).to_be_visible()
    tab_to(page, "提交申报书")
    keyboard.press("Enter")
    expect(page.get_by_text("申报书已提交。")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("状态: 已提交")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "keyboard-submitted.png"), full_page=True)
