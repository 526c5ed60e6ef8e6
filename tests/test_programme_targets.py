"""Yearly programme targets against live counts (002 附1 §二; 003 附件 §二)."""

import pytest
from django.utils import timezone

from applications.models import Application
from pilots import selectors
from pilots.models import PilotEnterprise, PilotProgramme, ProgrammeTarget
from portal.scoping import scopes_disabled

from .books import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(world):
    with scopes_disabled():
        application = Application.objects.create(
            call=make_call(world.jm),
            organization=world.pj_maker,
            status="selected",
            created_by=world.pj_applicant,
        )
        return PilotProgramme.objects.create(
            name="蓬江区试点",
            bureau=world.pj,
            approving_bureau=world.jm,
            source_application=application,
            approved_at=timezone.now().replace(year=2025),
        )


def test_counts_follow_signed_task_books_and_the_counting_level(
    world, programme, signed_enterprise
):
    from pilots.models import Assessment

    with scopes_disabled():
        actuals = selectors.programme_actuals(programme)
        # Two enrolled; only the signed one counts as transformed.
        assert actuals["transformed"] == 1 and actuals["above_scale"] == 1
        assert actuals["below_scale"] == 0 and actuals["above_scale_level2"] == 0
        Assessment.objects.create(
            enterprise=signed_enterprise,
            stage="after",
            kind="self",
            level=2,
            assessed_by=world.pj_applicant,
        )
        assert selectors.programme_actuals(programme)["above_scale_level2"] == 1
        Assessment.objects.create(
            enterprise=signed_enterprise,
            stage="after",
            kind="onsite",
            level=1,
            assessed_by=world.pj_manager,
        )
        assert selectors.programme_actuals(programme)["above_scale_level2"] == 0
        PilotEnterprise.objects.exclude(pk=signed_enterprise.pk).update(status="contracted")
        actuals = selectors.programme_actuals(programme)
        assert actuals["transformed"] == 2 and actuals["below_scale"] == 1


def test_county_staff_set_targets_and_see_them_against_counts(
    client, world, programme, signed_enterprise
):
    client.force_login(world.pj_manager)
    url = f"/pilots/programmes/{programme.pk}/"
    assert (
        client.post(
            url, {"action": "target", "year": "2026", "metric": "transformed", "value": "4"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url, {"action": "target", "year": "2026", "metric": "transformed", "value": "2"}
        ).status_code
        == 302
    )
    with scopes_disabled():
        assert list(ProgrammeTarget.objects.values_list("year", "metric", "value")) == [
            (2026, "transformed", 2)
        ]
    body = client.get(url).content.decode().replace("\n", "")
    assert "<td>2</td><td>1</td><td>50.0%</td>" in body
    bad = client.post(
        url, {"action": "target", "year": "2040", "metric": "transformed", "value": "3"}
    )
    assert bad.status_code == 200 and "2024" in bad.content.decode()
    bad = client.post(url, {"action": "target", "year": "2026", "metric": "profit", "value": "-1"})
    assert bad.status_code == 200
    with scopes_disabled():
        assert ProgrammeTarget.objects.get().value == 2  # nothing saved is lost


def test_who_sees_and_who_sets(client, world, programme):
    url = f"/pilots/programmes/{programme.pk}/"
    client.force_login(world.jm_manager)  # the approving city reads but does not set
    assert client.get(url).status_code == 200
    assert (
        client.post(
            url, {"action": "target", "year": "2026", "metric": "transformed", "value": "4"}
        ).status_code
        == 403
    )
    for outsider in (world.jh_manager, world.gz_manager, world.pj_applicant):
        client.force_login(outsider)
        assert client.get(url).status_code == 404, outsider.username


def test_the_period_and_sub_industries_are_corrected_within_the_rules(client, world, programme):
    url = f"/pilots/programmes/{programme.pk}/"
    client.force_login(world.pj_manager)
    ok = {"action": "period", "starts_on": "2025-03-01", "ends_on": "2027-02-28"}
    assert client.post(url, ok | {"sub_industries": "五金制品\n五金制品\n纺织"}).status_code == 302
    with scopes_disabled():
        programme.refresh_from_db()
    assert programme.sub_industries == ["五金制品", "纺织"]  # duplicates dropped, order kept
    bad = client.post(url, ok | {"ends_on": "2024-01-01", "sub_industries": "五金制品"})
    assert bad.status_code == 200
    # A city takes at most five sub-industries (003 §三(一)); a county is not bound by it here.
    with scopes_disabled():
        PilotProgramme.objects.filter(pk=programme.pk).update(bureau=world.jm)
    client.force_login(world.jm_manager)
    six = "\n".join(f"行业{n}" for n in range(6))
    response = client.post(url, ok | {"sub_industries": six})
    assert response.status_code == 200 and "5" in response.content.decode()
    with scopes_disabled():
        programme.refresh_from_db()
    assert programme.sub_industries == ["五金制品", "纺织"]


def test_a_city_pilot_runs_two_years_from_approval():
    from datetime import date

    from pilots.services.selection import two_years_on as _two_years_on

    assert _two_years_on(date(2023, 7, 15)) == date(2025, 7, 14)
    assert _two_years_on(date(2024, 2, 29)) == date(2026, 2, 28)
