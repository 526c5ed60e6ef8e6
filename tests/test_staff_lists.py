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


def _filed_book(world, call, organization, status="submitted"):
    from django.utils import timezone

    from applications.models import Application
    from portal.scoping import scopes_disabled

    with scopes_disabled():
        return Application.objects.create(
            call=call,
            organization=organization,
            status=status,
            created_by=world.operator,
            submitted_at=timezone.now(),
        )


def _sees(user, application) -> bool:
    from applications.models import Application

    with visibility_scope(Visibility.for_user(user)):
        return Application.objects.filter(pk=application.pk).exists()


def test_a_book_stays_with_the_county_it_was_filed_with_when_its_applicant_moves(world):
    """The county that received a book examines and recommends it (001 §三(二)); an operator
    correcting the organization's registration later does not hand the book to another county."""
    from portal.scoping import scopes_disabled

    book = _filed_book(world, make_call(world.jm, requires_recommendation=True), world.pj_maker)
    assert book.home_bureau == world.pj == world.pj_maker.home_bureau
    with scopes_disabled():
        world.pj_maker.home_bureau = world.jh
        world.pj_maker.save(update_fields=["home_bureau"])
        book.refresh_from_db()
    assert book.home_bureau == world.pj
    assert _sees(world.pj_manager, book) and not _sees(world.jh_manager, book)


def test_books_recommended_up_reach_the_bureaus_between_the_county_and_the_issuer_only(world):
    """A provincial call's recommended book shows at the county's city; a Guangzhou call's shows
    at Guangzhou (the issuer) and Pengjiang (the county), never at Jiangmen, outside its line."""
    provincial = _filed_book(
        world,
        make_call(world.gd, requires_recommendation=True),
        world.pj_maker,
        status="recommended",
    )
    elsewhere = _filed_book(
        world,
        make_call(world.gz, requires_recommendation=True),
        world.pj_maker,
        status="recommended",
    )
    assert _sees(world.jm_manager, provincial) and _sees(world.gd_manager, provincial)
    assert not _sees(world.jh_manager, provincial)
    assert _sees(world.gz_manager, elsewhere) and _sees(world.pj_manager, elsewhere)
    assert not _sees(world.jm_manager, elsewhere)


def test_the_staff_list_pages_show_their_columns_from_a_projection(client, world, as_user):
    """The pages read a few columns, not whole rows, and still show every column, with statuses
    in the user's language."""
    from django.urls import reverse

    book = _filed_book(world, make_call(world.jm), world.pj_maker)
    client.force_login(world.jm_manager)
    page = client.get(reverse("staff-applications")).content.decode()
    for shown in (world.pj_maker.name, world.pj_maker.uscc, world.pj.region_name, "已提交"):
        assert shown in page, shown
    assert reverse("application-detail", args=[book.pk]) in page
    with as_user(world.jm_manager):
        enterprises = pilot_selectors.enterprise_list()
        rows = pilot_selectors.enterprise_page_rows(enterprises[:25])
        whole = list(enterprises[:25])
    assert [(r.pk, r.name, r.county, r.status_label) for r in rows] == [
        (e.pk, e.organization.name, e.bureau.region_name, e.get_status_display()) for e in whole
    ]
