"""No 500 on user input, ever: oversized, null bytes, wrong types, markup."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.world import DEMO_PASSWORD
from portal import ratelimit
from portal.models import AuditEvent
from portal.scoping import scopes_disabled
from tests.books import pdf_bytes

pytestmark = pytest.mark.django_db

NASTY = [
    "x" * 5000,
    "a\x00b",
    "<script>alert(1)</script>",
    "'; DROP TABLE portal_user;--",
    "１２３",
    "\u202e",
    "",
]


@pytest.mark.parametrize("value", NASTY)
def test_registration_never_fails_on_hostile_values(client, world, value):
    fields = [
        "uscc",
        "name",
        "kind",
        "home_bureau",
        "full_name",
        "phone",
        "email",
        "username",
        "password1",
        "password2",
    ]
    response = client.post("/register/", {name: value for name in fields})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.parametrize("value", NASTY)
def test_profile_edit_never_fails_and_keeps_the_saved_profile(client, world, value):
    client.force_login(world.pj_applicant)
    before = world.pj_maker.address
    fields = [
        "name",
        "address",
        "legal_representative",
        "contact_name",
        "contact_phone",
        "contact_email",
    ]
    response = client.post(
        f"/organizations/{world.pj_maker.pk}/edit/", {name: value for name in fields}
    )
    assert response.status_code == 200  # the form again, with messages
    with scopes_disabled():
        world.pj_maker.refresh_from_db()
    assert world.pj_maker.address == before


@pytest.mark.parametrize("value", NASTY + ["%", "1' OR '1'='1"])
def test_list_filters_and_login_never_fail(client, world, value):
    assert client.post("/accounts/login/", {"username": value, "password": value}).status_code in (
        200,
        403,
    )
    client.force_login(world.jm_admin)
    params = {"q": value, "bureau": value, "page": value, "action": value, "outcome": value}
    for url in ("/organizations/", "/audit/", "/bureaus/"):
        assert client.get(url, params).status_code == 200
    response = client.get("/api/v1/organizations/", params)
    # DRF answers a malformed page number with 404 and a reason; a search alone is fine.
    assert response.status_code == 200 or (
        response.status_code == 404 and "detail" in response.json()
    )
    assert client.get("/api/v1/organizations/", {"q": value}).status_code == 200


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_changing_the_password_is_audited_and_checks_complexity(client, world):
    client.force_login(world.jm_manager)
    weak = client.post(
        "/accounts/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert weak.status_code == 200 and "3 类字符" in weak.content.decode()
    strong = "Jiangmen#2026"
    response = client.post(
        "/accounts/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="password_changed", actor=world.jm_manager).exists()


# --- the hostile-input corpus over every URL the walk knows (issue 14 item 5) ---------------------
# Every page the URL walk reaches (tests/test_url_walk.py: OWN for object URLs, PLAIN_PATTERNS for
# the rest) is opened as its personas; every form on it is parsed from the HTML, and every query
# parameter its filters and links read, and every field of every form it shows, gets the corpus.
# Then every page is read again: nothing stored may come back as markup that runs. Bounded: a
# query parameter gets the whole corpus only where the page offers it; the corpus's size is
# printed at the end of the run (tests/conftest.py, pytest_terminal_summary).

MARK = "hostile()"
SCRIPT = f'<script>{MARK}</script>"><img src=x onerror={MARK}>'
RAW_MARKUP = ("<script>hostile", "<img src=x onerror")  # the payload as it would run
# Each value goes into every field and parameter at once (filters and forms check each field on
# its own, so one value cannot hide another's failure); the script also goes alone into the free
# text of a form otherwise sent as the page offered it, so a valid form stores it.
CORPUS: dict[str, str | list[str]] = {
    "script, markup, template syntax, SQL-ish, NUL and control characters": (
        SCRIPT
        + "{{ request.user.password }}{% debug %}${7*7}<%= 7*7 %>"
        + "1' OR '1'='1'; DROP TABLE portal_user;-- %_"
        + "a\x00b\x01\x07\x1b[31m\u202e\ufeff\r\n"
    ),
    "over-long": "长" * 6_000,
    "wrong type: not a number": "abc",
    "wrong type: huge number": "9" * 40,
    "wrong type: negative, fraction, overflow": "-1.5e309",
    "wrong type: impossible date": "2025-02-30",
    "wrong type: many values": ["1", "x", SCRIPT],
    "path trick, outside the basic plane": "../../../../etc/passwd𠀀😀\U0010ffff",
}
# What the query of a page without filters gets (a page that reads no parameter ignores them).
SHORT_CORPUS = ("script, markup, template syntax, SQL-ish, NUL and control characters", "over-long")
FILE_NAMES = (
    "../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "a\x00.pdf",
    f"{SCRIPT}.pdf",
    "长" * 300 + ".pdf",
    "/absolute.png",
)
FREE_TEXT = {"text", "textarea", "search", ""}
SKIPPED_ACTIONS = ("/accounts/logout/", "/static/", "/media/", "/admin/")
# Every query parameter the views read by name (the filters' helpers name them as literals).
SOURCE_PARAMS = (
    "q", "page", "bureau", "status", "kind", "year", "quarter", "format", "table", "code",
    "template", "rows", "direction", "category", "background", "sort", "action", "call",
    "level", "sub_industry", "stage", "from", "to", "user", "outcome", "next",
)  # fmt: skip


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str, str]]  # (name, type, default value)
    files: list[str]


class PageParser(HTMLParser):
    """The forms of a rendered page (fields with their defaults) and the query names its links
    use on itself."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.forms: list[Form] = []
        self.link_params: set[str] = set()
        self.errors: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None
        self._textarea: list | None = None
        self._error_depth = 0
        self._error_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in VOID_TAGS:
            self._track_error(a)
        if tag == "a" and "?" in a.get("href", ""):
            target = urlsplit(a["href"])
            if target.path in ("", self.path):
                self.link_params |= set(parse_qs(target.query, keep_blank_values=True))
        elif tag == "form":
            self._form = Form(
                action=urlsplit(a.get("action") or self.path).path or self.path,
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype", ""),
                fields=[],
                files=[],
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select[1].append(a.get("value", ""))
            if "selected" in a:
                self._select[2].append(a.get("value", ""))
        elif self._form is not None and a.get("name"):
            self._field(self._form, tag, a)

    def _track_error(self, a: dict[str, str]) -> None:
        if self._error_depth:
            self._error_depth += 1
        elif set(a.get("class", "").split()) & {"error", "errors", "errorlist", "message-error"}:
            self._error_depth, self._error_text = 1, []

    def _field(self, form: Form, tag: str, a: dict[str, str]) -> None:
        kind = a.get("type", "text").lower()
        if tag == "input" and kind == "file":
            form.files.append(a["name"])
        elif tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a:
                form.fields.append((a["name"], kind, a.get("value", "on")))
        elif tag == "input" and kind not in ("submit", "button", "image", "reset"):
            form.fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "select":
            self._select = (a["name"], [], [])
        elif tag == "button" and a.get("value"):
            form.fields.append((a["name"], "button", a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if self._error_depth:
            self._error_depth -= 1
            if not self._error_depth and "".join(self._error_text).strip():
                self.errors.append("".join(self._error_text).strip())
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea[0], "textarea", self._textarea[1]))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, chosen = self._select
            value = (chosen or [v for v in options if v] or [""])[0]
            self._form.fields.append((name, "select", value))
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data
        if self._error_depth:
            self._error_text.append(data)


@dataclass
class Tally:
    """What the corpus tried and what went wrong, for one persona."""

    cases: int = 0
    forms: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, response, what: str) -> None:
        self.cases += 1

        status = response.status_code
        if status >= 500:
            self.failures.append(f"{what}: {status}")
            return
        if status == 429:
            self.failures.append(f"{what}: rate-limited inside the corpus")
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        body = response.content.decode("utf-8", "replace")
        for raw in RAW_MARKUP:
            if raw in body:
                self.failures.append(f"{what}: {raw!r} comes back unescaped")
        if status == 400 and "<html" not in body:
            self.failures.append(f"{what}: Django's bare 400 page")
        if response.get("Content-Language", "").startswith("zh"):
            parser = PageParser("")
            parser.feed(body)
            for error in parser.errors:
                if not CHINESE.search(error):
                    self.failures.append(f"{what}: refusal not in Chinese: {error[:80]!r}")


CHINESE = re.compile(r"[\u4e00-\u9fff]")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _multipart_garbage() -> bytes:
    return (
        b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 truncated"
    )  # no closing boundary


def _baseline(form: Form) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, _kind, value in form.fields:
        data.setdefault(name, []).append(value)
    return data


def _post_form(client, tally: Tally, form: Form, persona: str) -> None:
    """The corpus into every field, the script into the free text alone, too many fields, a
    damaged multipart body, and file names with path tricks."""
    from django.conf import settings

    who = persona or "public"
    editable = [name for name, kind, _v in form.fields if kind != "hidden"]
    for label, value in CORPUS.items():
        data = _baseline(form)
        for name in editable or [name for name, _k, _v in form.fields]:
            data[name] = value if isinstance(value, list) else [value]
        tally.check(client.post(form.action, data), f"POST {form.action} as {who}: {label}")
    free_text = [name for name, kind, _value in form.fields if kind in FREE_TEXT]
    if free_text:
        data = _baseline(form)
        data.update({name: [SCRIPT] for name in free_text})
        tally.check(client.post(form.action, data), f"POST {form.action} as {who}: script alone")
    flood = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(form.action, flood)
    tally.check(response, f"POST {form.action} as {who}: too many fields")
    response = client.generic(
        "POST", form.action, _multipart_garbage(), content_type="multipart/form-data; boundary=XX"
    )
    tally.check(response, f"POST {form.action} as {who}: malformed multipart")
    for name in form.files:
        for file_name in FILE_NAMES:
            data = _baseline(form)
            upload = SimpleUploadedFile(file_name, pdf_bytes(), content_type="application/pdf")
            response = client.post(form.action, {**data, name: upload})
            tally.check(response, f"POST {form.action} as {who}: file name {file_name[:20]!r}")


def _query_corpus(client, tally: Tally, path: str, names: set[str], who: str) -> None:
    """Every name the page's filters and links offer, and every name a view reads, at once."""
    for label in CORPUS if names else SHORT_CORPUS:
        everything = dict.fromkeys((*SOURCE_PARAMS, *names), CORPUS[label])
        tally.check(client.get(path, everything), f"GET {path}?… as {who}: {label}")


def _targets(persona: str | None, own: dict) -> list[tuple[str, str]]:
    """(method, path) of every URL the walk knows that this persona uses."""
    from tests.test_url_walk import OWN, PLAIN_PATTERNS

    paths = [
        (row.method, reverse(row.url, kwargs=row.kwargs(own)))
        for row in OWN
        if row.persona == persona
    ]
    if persona in PLAIN_PERSONAS:
        paths += [("get", reverse(name)) for name in PLAIN_PATTERNS]
    return list(dict.fromkeys(paths))


# Who opens the URLs without objects: one persona of each kind. The other parties of OWN (a
# county, the province, another enterprise) use only their own objects, together in one run.
PLAIN_PERSONAS = (
    None, "operator", "jm_admin", "jm_manager", "pj_applicant", "jm_leader_admin", "expert_li",
)  # fmt: skip
RUNS = {
    **{persona or "public": (persona,) for persona in PLAIN_PERSONAS},
    "county, province, another enterprise": (
        "pj_manager",
        "gd_manager",
        "jh_applicant",
        "jh_manager",
    ),
}


def _collect(parser: PageParser, path: str, persona: str | None, forms: dict) -> set[str]:
    """Adds the page's POST forms to ``forms``; the query names its filters and links offer."""
    names = set(parser.link_params)
    for form in parser.forms:
        if form.action.startswith(SKIPPED_ACTIONS) or not form.action.startswith("/"):
            continue
        if form.action == "/i18n/setlang/" and persona is not None:
            continue  # on every page: the public run tries it
        if form.method == "get" and form.action == path:
            names |= {name for name, _kind, _value in form.fields}
        elif form.method == "post":
            forms[(form.action, tuple(sorted(name for name, _k, _v in form.fields)))] = form
            forms.pop((form.action, "post"), None)  # the page's form replaces a bare action
    return names


def _corpus_as(client, world, persona: str | None, own: dict, tally: Tally) -> list[str]:
    """The corpus over every page and form ``persona`` reaches; the HTML pages it read."""
    client.logout()
    if persona is not None:
        client.force_login(world.users[persona])
    who = persona or "public"
    forms: dict[tuple, Form] = {}
    pages = []
    for method, path in _targets(persona, own):
        if method == "post":  # an action without a page of its own (its form is found below)
            if not any(key[0] == path for key in forms):
                forms[(path, "post")] = Form(path, "post", "", [("note", "text", "")], [])
            continue
        response = client.get(path)
        tally.check(response, f"GET {path} as {who}")
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        pages.append(path)
        parser = PageParser(path)
        parser.feed(response.content.decode())
        names = _collect(parser, path, persona, forms)
        _query_corpus(client, tally, path, names, who)
    tally.forms += len(forms)
    for form in forms.values():
        _post_form(client, tally, form, persona)
        if persona is not None and "_auth_user_id" not in client.session:
            client.force_login(world.users[persona])  # a form that ended the session
        client.cookies.pop("django_language", None)  # a language form may have switched it
    # Read everything back: what was stored renders escaped.
    for path in pages:
        tally.check(client.get(path), f"GET {path} as {who}, after the corpus")
    return pages


@pytest.mark.parametrize("run", list(RUNS))
def test_the_hostile_corpus_over_every_url_gets_no_500_no_stored_script_and_chinese_refusals(
    client, world, settings, tmp_path, run, record_property
):
    """Every page and form the URL walk reaches, as its personas: no 5xx, nothing stored comes
    back as markup that runs (for the persona, and for the bureau reading the public's
    objections), every refusal in Chinese, the portal's own 400 page."""
    from tests.test_url_walk import own_objects

    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_RATE_LIMITS = {scope: (10**6, 60) for scope in ratelimit.DEFAULT_LIMITS}
    own = own_objects(world)
    tally = Tally()
    for persona in RUNS[run]:
        _corpus_as(client, world, persona, own, tally)
    if run == "public":  # the public's objections are read by the bureau
        client.force_login(world.jm_manager)
        for method, path in _targets("jm_manager", own):
            if method == "get" and path.startswith("/publicity/"):
                tally.check(client.get(path), f"GET {path} as jm_manager, after the public")
    record_property("hostile_cases", tally.cases)
    assert tally.forms > 0, "the corpus found no form to send"
    assert tally.failures == [], f"{len(tally.failures)} of {tally.cases} cases failed"


def test_the_corpus_checks_catch_a_500_a_running_script_an_english_refusal_and_a_bare_400():
    from django.http import HttpResponse

    def page(body: str, status: int = 200, language: str = "zh-hans") -> HttpResponse:
        response = HttpResponse(body, status=status)
        response["Content-Language"] = language
        return response

    tally = Tally()
    tally.check(page("", status=500), "a crash")
    tally.check(page(f"<html><p>{SCRIPT}</p></html>"), "stored script")
    tally.check(page('<html><p class="error">This field is required.</p></html>'), "English")
    tally.check(page("<h1>Bad Request (400)</h1>", status=400), "bare 400")
    tally.check(page("<html><p>&lt;script&gt;hostile()</p></html>"), "escaped")
    tally.check(page('<html><p class="error">此字段不能为空。</p></html>'), "Chinese")
    tally.check(page('<html><p class="error">Required.</p></html>', language="en"), "English")
    assert tally.cases == 7
    assert [failure.split(":")[0] for failure in tally.failures] == [
        "a crash",
        "stored script",
        "stored script",
        "English",
        "bare 400",
    ]


def test_the_page_parser_finds_forms_their_defaults_files_and_query_names():
    parser = PageParser("/list/")
    parser.feed(
        '<a href="?page=2&amp;q=x">2</a><a href="/other/?no=1">o</a>'
        '<form method="get"><input name="status" value="open"><select name="bureau">'
        '<option value="">-</option><option value="7" selected>7</option></select></form>'
        '<form method="post" action="/list/7/edit/" enctype="multipart/form-data">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="t"><textarea name="note">'
        'old</textarea><input type="checkbox" name="agree" checked><input type="file" '
        'name="seal"><button name="action" value="save">Save</button></form>'
        '<div class="errors"><br><p>错误</p></div>'
    )
    get, post = parser.forms
    assert parser.link_params == {"page", "q"}
    assert get.method == "get" and get.fields == [
        ("status", "text", "open"),
        ("bureau", "select", "7"),
    ]
    assert post.action == "/list/7/edit/" and post.files == ["seal"]
    assert post.fields == [
        ("csrfmiddlewaretoken", "hidden", "t"),
        ("note", "textarea", "old"),
        ("agree", "checkbox", "on"),
        ("action", "button", "save"),
    ]
    assert parser.errors == ["错误"]
