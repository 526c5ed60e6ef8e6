import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Organization
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit

pytestmark = pytest.mark.django_db


def add_organizations(bureau, count, name_prefix="批量企业"):
    with scopes_disabled():
        Organization.objects.bulk_create(
            Organization(
                uscc=with_check_digit(f"91{bureau.division_code}MA{n:07d}"),
                name=f"{name_prefix}{n:04d}",
                home_bureau=bureau,
            )
            for n in range(count)
        )


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/organizations/", "/api/v1/organizations/", "/bureaus/"])
def test_list_query_count_does_not_grow_with_rows(client, world, url):
    client.force_login(world.jm_manager)
    add_organizations(world.pj, 3)
    few = queries(client, url)
    add_organizations(world.jh, 40, name_prefix="再批量")
    assert queries(client, url) == few


def test_the_list_paginates_and_searches_by_name_or_code(client, world):
    add_organizations(world.pj, 60)
    client.force_login(world.pj_manager)
    body = client.get("/organizations/?page=3").content.decode()
    assert "第 3 页，共 3 页" in body  # 61 organizations, 25 a page
    assert client.get("/organizations/?page=abc").status_code == 200
    assert client.get("/organizations/?page=99999").status_code == 200
    body = client.get(f"/organizations/?q={world.pj_maker.uscc.lower()}").content.decode()
    assert world.pj_maker.name in body and "批量企业" not in body
    body = client.get("/organizations/?q=华程").content.decode()
    assert world.pj_maker.name in body and "批量企业" not in body
    assert client.get("/organizations/?bureau=not-a-number").status_code == 200


def test_the_api_lists_only_visible_organizations(client, world):
    client.force_login(world.pj_applicant)
    data = client.get("/api/v1/organizations/").json()
    assert [row["uscc"] for row in data["results"]] == [world.pj_maker.uscc]
    assert client.get(f"/api/v1/organizations/{world.gz_maker.pk}/").status_code == 404
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == [
        {"role": "org_admin", "bureau_id": None, "organization_id": world.pj_maker.pk}
    ]


def test_the_api_asks_anonymous_callers_to_authenticate(client, world):
    response = client.get("/api/v1/organizations/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


def test_the_openapi_schema_generates(client, world):
    client.force_login(world.operator)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/organizations/" in response.content
