"""The REST API (issue 13): personal tokens, scopes, expiry and revocation, idempotent creates,
JSON errors in the caller's language, cursor pages, rate limits, and every route in the URL walk.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from portal import tokens
from portal.api import registry
from portal.models import ApiToken, AuditEvent
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot_world(world):
    """The demo world with its pilot: Jiangmen's leading unit serving Pengjiang's and Jianghai's
    enterprises, the city programme with its funds, and the unit's evaluated quarter."""
    from demo.world import build_demo_pilot

    with scopes_disabled():
        build_demo_pilot(world)
    return world


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user, scope: str = "read_write", days: int = 30) -> tuple[ApiToken, str]:
    return tokens.token_create(user=user, name="sync", scope=scope, expires_in_days=days)


def jm_programme():
    from pilots.models import PilotProgramme

    with scopes_disabled():
        return PilotProgramme.objects.get(bureau__division_code="440700", name__contains="演示")


def fund_use_body(programme) -> dict:
    return {
        "programme": programme.pk,
        "category": "transformation",
        "amount_wan": "1.5000",
        "description": "改造补助",
        "spent_on": timezone.localdate().isoformat(),
    }


# --- tokens ------------------------------------------------------------------------------------
def test_a_token_created_on_the_page_is_shown_once_and_stored_only_as_a_digest(client, world):
    client.force_login(world.pj_applicant)
    response = client.post(
        reverse("token-list"), {"name": "省平台同步", "scope": "read", "expires_in_days": "90"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw"]
    token = ApiToken.objects.get(user=world.pj_applicant)
    assert raw.startswith(token.prefix + ".") and token.digest == tokens.digest(raw)
    assert raw not in {token.digest, token.prefix, token.name}
    assert token.scope == "read" and token.expires_at > timezone.now() + timedelta(days=89)
    listing = client.get(reverse("token-list")).content.decode()
    assert token.prefix in listing and raw not in listing
    with scopes_disabled():
        assert AuditEvent.objects.filter(
            action="api_token_created", object_id=str(token.pk)
        ).exists()
    me = client.get("/api/v1/me/", **bearer(raw))
    assert me.status_code == 200 and me.json()["username"] == "pj_applicant"


def test_the_token_page_refuses_bad_input_with_a_message_and_creates_nothing(client, world):
    client.force_login(world.pj_applicant)
    response = client.post(
        reverse("token-list"), {"name": "", "scope": "admin", "expires_in_days": "9999"}
    )
    assert response.status_code == 200
    assert set(response.context["errors"]) == {"name", "scope", "expires_in_days"}
    assert not ApiToken.objects.filter(user=world.pj_applicant).exists()


def test_a_revoked_token_is_refused(client, world):
    token, raw = token_for(world.jm_manager)
    assert client.get("/api/v1/enterprises/", **bearer(raw)).status_code == 200
    client.force_login(world.jm_manager)
    response = client.post(reverse("token-revoke", kwargs={"token_pk": token.pk}))
    assert response.status_code == 302
    client.logout()
    response = client.get("/api/v1/enterprises/", **bearer(raw))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    with scopes_disabled():
        assert AuditEvent.objects.filter(
            action="api_token_revoked", object_id=str(token.pk)
        ).exists()


def test_an_expired_token_is_refused(client, world):
    token, raw = token_for(world.jm_manager)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/enterprises/", **bearer(raw)).status_code == 401


def test_a_wrong_secret_with_a_real_prefix_is_refused(client, world):
    token, raw = token_for(world.jm_manager)
    assert client.get("/api/v1/me/", **bearer(f"{token.prefix}.guess")).status_code == 401
    assert client.get("/api/v1/me/", **bearer("garbage")).status_code == 401


def test_nobody_revokes_another_persons_token(client, world):
    token, raw = token_for(world.jm_manager)
    client.force_login(world.gz_manager)
    assert client.post(reverse("token-revoke", kwargs={"token_pk": token.pk})).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_read_scope_token_cannot_write(client, pilot_world):
    programme = jm_programme()
    _token, raw = token_for(pilot_world.jm_manager, scope="read")
    response = client.post(
        "/api/v1/fund-uses/",
        fund_use_body(programme),
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "read_only_token"
    with scopes_disabled():
        assert not programme.uses.filter(description="改造补助").exists()
    assert client.get("/api/v1/fund-uses/", **bearer(raw)).status_code == 200


def test_a_write_through_a_token_is_audited_with_the_tokens_id(client, pilot_world):
    programme = jm_programme()
    token, raw = token_for(pilot_world.jm_manager)
    response = client.post(
        "/api/v1/fund-uses/",
        fund_use_body(programme),
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        event = AuditEvent.objects.get(
            action="programme_fund_used", object_id=str(response.json()["id"])
        )
    assert event.detail["api_token"] == token.pk
    assert event.actor_id == pilot_world.jm_manager.pk


# --- idempotency -------------------------------------------------------------------------------
def test_the_same_idempotency_key_twice_creates_one_object(client, pilot_world):
    from pilots.models import FundUse

    programme = jm_programme()
    _token, raw = token_for(pilot_world.jm_manager)
    body = fund_use_body(programme)
    with scopes_disabled():
        before = FundUse.objects.filter(programme=programme).count()
    first, second = (
        client.post(
            "/api/v1/fund-uses/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="sync-2025-0001",
            **bearer(raw),
        )
        for _ in range(2)
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert FundUse.objects.filter(programme=programme).count() == before + 1
    third = client.post(
        "/api/v1/fund-uses/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="sync-2025-0002",
        **bearer(raw),
    )
    assert third.status_code == 201 and third.json()["id"] != first.json()["id"]


def test_a_refused_create_keeps_no_key_so_the_corrected_retry_succeeds(client, pilot_world):
    programme = jm_programme()
    _token, raw = token_for(pilot_world.jm_manager)
    too_much = {**fund_use_body(programme), "amount_wan": "99999999.0000"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-1", **bearer(raw)}
    refused = client.post(
        "/api/v1/fund-uses/", too_much, content_type="application/json", **headers
    )
    assert refused.status_code == 400
    # The funds service's own refusal (money released so far, 003 §四), not a copy of the rule.
    assert "万元" in refused.json()["message"]
    retried = client.post(
        "/api/v1/fund-uses/", fund_use_body(programme), content_type="application/json", **headers
    )
    assert retried.status_code == 201


def test_a_key_used_on_another_resource_is_refused(client, pilot_world):
    programme = jm_programme()
    _token, raw = token_for(pilot_world.jm_manager)
    headers = {"HTTP_IDEMPOTENCY_KEY": "shared", **bearer(raw)}
    client.post(
        "/api/v1/fund-uses/", fund_use_body(programme), content_type="application/json", **headers
    )
    response = client.post(
        "/api/v1/applications/",
        {"call": 1, "organization": 1},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


# --- application books: the autosave service and its version check ----------------------------
def test_section_answers_are_written_through_autosave_with_its_version_check(client, world):
    from applications.models import ApplicationSection
    from tests.books import make_call

    call = make_call(world.jm)
    _token, raw = token_for(world.pj_applicant)
    started = client.post(
        "/api/v1/applications/",
        {"call": call.pk, "organization": world.pj_maker.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="start-1",
        **bearer(raw),
    )
    assert started.status_code == 201, started.content
    application_id = started.json()["id"]
    url = f"/api/v1/applications/{application_id}/sections/basic_info/"
    section = client.get(url, **bearer(raw)).json()
    answers = {**section["answers"], "contact_name": "王工"}
    saved = client.put(
        url,
        {"version": section["version"], "answers": answers},
        content_type="application/json",
        **bearer(raw),
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == section["version"] + 1
    assert saved.json()["answers"]["contact_name"] == "王工"
    stale = client.put(
        url,
        {"version": section["version"], "answers": {**answers, "contact_name": "李工"}},
        content_type="application/json",
        **bearer(raw),
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    with scopes_disabled():
        row = ApplicationSection.objects.get(application_id=application_id, key="basic_info")
    assert row.data["contact_name"] == "王工"


def test_staff_read_a_book_but_cannot_write_its_sections(client, world):
    from applications.models import Application
    from applications.services import application_start
    from portal.visibility import Visibility
    from tests.books import make_call

    call = make_call(world.jm)
    with scopes_disabled():
        application = application_start(
            visibility=Visibility.for_user(world.jm_leader_admin),
            call=call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
        Application.objects.filter(pk=application.pk).update(status="submitted")
    _token, raw = token_for(world.jm_manager)
    url = f"/api/v1/applications/{application.pk}/sections/basic_info/"
    section = client.get(url, **bearer(raw))
    assert section.status_code == 200
    response = client.put(
        url,
        {"version": section.json()["version"], "answers": {}},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


# --- visibility through the API ----------------------------------------------------------------
def test_a_foreign_enterprise_is_404_through_the_api(client, pilot_world):
    from pilots.models import PilotEnterprise

    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization=pilot_world.pj_maker)
    _token, gz = token_for(pilot_world.gz_manager)
    _token, pj = token_for(pilot_world.pj_manager)
    foreign = client.get(f"/api/v1/enterprises/{enterprise.pk}/", **bearer(gz))
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/", **bearer(pj)).status_code == 200
    assert client.get("/api/v1/enterprises/", **bearer(gz)).json()["results"] == []


def test_the_city_lists_its_pilot_enterprises_with_the_web_lists_filters(client, pilot_world):
    _token, raw = token_for(pilot_world.jm_manager, scope="read")
    everything = client.get("/api/v1/enterprises/", **bearer(raw)).json()["results"]
    counties = {row["county"] for row in everything}
    assert len(everything) >= 3 and len(counties) >= 2
    pengjiang = client.get(
        f"/api/v1/enterprises/?county={pilot_world.pj.pk}", **bearer(raw)
    ).json()["results"]
    assert pengjiang and {row["bureau"] for row in pengjiang} == {pilot_world.pj.pk}
    named = client.get(f"/api/v1/enterprises/?q={pilot_world.pj_maker.uscc}", **bearer(raw)).json()[
        "results"
    ]
    assert [row["uscc"] for row in named] == [pilot_world.pj_maker.uscc]


def test_lists_are_cursor_paged(client, pilot_world):
    _token, raw = token_for(pilot_world.jm_manager, scope="read")
    first = client.get("/api/v1/enterprises/?page_size=2", **bearer(raw)).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"], **bearer(raw)).json()
    seen = {row["id"] for row in first["results"]}
    assert second["results"] and not seen & {row["id"] for row in second["results"]}
    bad = client.get("/api/v1/enterprises/?cursor=not-a-cursor", **bearer(raw))
    assert bad.status_code == 404 and bad.json()["code"] == "not_found"


# --- errors, language, root, docs, rate -------------------------------------------------------
def test_errors_are_json_in_the_callers_language(client, world):
    chinese = client.get("/api/v1/enterprises/")
    english = client.get("/api/v1/enterprises/", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 401
    assert chinese.json()["code"] == english.json()["code"] == "not_authenticated"
    assert chinese.json()["message"] != english.json()["message"]
    assert "credentials" in english.json()["message"]
    unknown = client.get("/api/v1/no-such-resource/", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"
    assert unknown.json() == {"code": "not_found", "message": "Not found."}


def test_invalid_input_is_a_400_naming_the_field(client, pilot_world):
    _token, raw = token_for(pilot_world.jm_manager)
    response = client.post(
        "/api/v1/fund-uses/",
        {"programme": "x", "category": "gifts", "amount_wan": "-1", "spent_on": "yesterday"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(raw),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"programme", "category", "amount_wan", "spent_on", "description"} <= set(body["errors"])
    broken = client.post(
        "/api/v1/fund-uses/", "{not json", content_type="application/json", **bearer(raw)
    )
    assert broken.status_code == 400 and broken.json()["code"] == "parse_error"


def test_the_versioned_root_lists_every_resource(client, world):
    body = client.get("/api/v1/").json()
    assert body["version"] == "1"
    assert set(body["resources"]) == {r.prefix for r in registry.RESOURCES}
    assert {"calls", "applications", "enterprises", "fund-uses", "inbox"} <= set(body["resources"])
    for url in body["resources"].values():
        assert url.startswith("http://testserver/api/v1/")


def test_the_documentation_page_loads_its_assets_from_this_server(client, world):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower() and "https://" not in page
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200 and b"/api/v1/enterprises/" in schema.content


def test_each_token_has_its_own_rate_limit(client, world, settings):
    settings.API_RATE_LIMIT = "3/minute"
    cache.clear()
    _token, first = token_for(world.jm_manager)
    _token, second = token_for(world.jm_manager)
    answers = [client.get("/api/v1/me/", **bearer(first)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/me/", **bearer(first))
    assert limited.json()["code"] == "throttled" and "Retry-After" in limited
    assert client.get("/api/v1/me/", **bearer(second)).status_code == 200
    cache.clear()


# --- the URL walk covers the API -------------------------------------------------------------
def test_every_api_route_is_in_the_url_persona_walk():
    from tests.test_url_walk import ALL_PATTERNS, OBJECT_KWARGS, OWN

    api_names = {name for name, _kwargs in ALL_PATTERNS if name.startswith("api-")}
    expected = {f"{r.basename}-list" for r in registry.RESOURCES} | {
        f"{r.basename}-detail" for r in registry.RESOURCES
    }
    assert expected <= api_names
    assert "api-application-section" in api_names
    object_routes = {name: kw for name, kw in ALL_PATTERNS if name.startswith("api-") and kw}
    assert set(object_routes) <= {row.url for row in OWN}
    assert {k for kw in object_routes.values() for k in kw} <= set(OBJECT_KWARGS)
