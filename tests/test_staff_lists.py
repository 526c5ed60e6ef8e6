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
