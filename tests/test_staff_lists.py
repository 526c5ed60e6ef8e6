"""Staff lists at scale: filter choices come from small tables, sort keys from the list's own."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import selectors as application_selectors
from pilots import selectors as pilot_selectors
from portal.scoping import visibility_scope
from portal.visibility import Visibility
from tests.books import make_call


def test_the_call_filter_offers_the_calls_of_the_users_bureau_line_without_reading_books(world):
    jiangmen = make_call(world.jm)
    guangzhou = make_call(world.gz)
    for persona, sees, hidden in (
        ("pj_manager", jiangmen, guangzhou),  # a county recommends on its city's calls
        ("gz_manager", guangzhou, jiangmen),
        ("gd_manager", jiangmen, None),
    ):
        visibility = Visibility.for_user(world.users[persona])
        with visibility_scope(visibility), CaptureQueriesContext(connection) as queries:
            calls = list(application_selectors.staff_call_choices(visibility))
        assert sees in calls and (hidden is None or hidden not in calls), persona
        assert not any("applications_application" in q["sql"] for q in queries.captured_queries)


def test_the_enterprise_list_is_newest_first_by_its_own_columns(world, as_user):
    with as_user(world.gd_manager):
        query = str(pilot_selectors.enterprise_list().query)
        rows = list(pilot_selectors.enterprise_list())
    assert 'ORDER BY "pilots_pilotenterprise"."enrolled_at" DESC' in query
    assert [r.enrolled_at for r in rows] == sorted((r.enrolled_at for r in rows), reverse=True)


def test_a_list_counts_up_to_its_cap_and_says_there_are_more(client, world, monkeypatch):
    from portal import views
    from portal.models import Organization

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    with visibility_scope(Visibility.for_user(world.operator)):
        paginator = views.CappedPaginator(Organization.objects.order_by("pk"), 2)
        assert Organization.objects.count() > 4
        assert paginator.count == 4 and paginator.capped and paginator.num_pages == 2
        first = paginator.get_page(1)
        assert len(first) == 2
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    html = render_to_string(
        "includes/pagination.html", {"page": first, "request": RequestFactory().get("/")}
    )
    assert "第 1 页，共超过 2 页" in html
