"""Tenancy (DESIGN.md §3): who sees which rows, and the guard that fails loudly."""

import threading

import pytest
from django.apps import apps
from django.http import Http404

from portal.models import AuditEvent, Membership, Organization
from portal.scoping import ScopeError, VisibleManager, visibility_scope
from portal.visibility import RULES, Visibility, visible_or_404

pytestmark = pytest.mark.django_db


def visible_org_keys(world, user, as_user):
    with as_user(user):
        names = set(Organization.objects.values_list("name", flat=True))
    return {key for key, org in world.organizations.items() if org.name in names}


def test_a_query_outside_a_scope_fails_loudly(world):
    with pytest.raises(ScopeError):
        list(Organization.objects.all())
    with pytest.raises(ScopeError):
        Organization.objects.filter(name="x").exists()
    with pytest.raises(ScopeError):
        Organization.objects.get(pk=world.pj_maker.pk)
    with pytest.raises(ScopeError):
        Membership.objects.count()


def test_no_scope_leaks_into_another_thread(world, as_user):
    """A task or thread starts with no scope, even if its creator had one."""
    errors = []

    def run():
        try:
            Organization.objects.count()
        except ScopeError as error:
            errors.append(error)

    with as_user(world.operator):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    assert len(errors) == 1


def test_every_model_with_a_visible_manager_has_a_rule():
    guarded = [m for m in apps.get_models() if isinstance(m._default_manager, VisibleManager)]
    assert Organization in guarded
    assert [m.__name__ for m in guarded if m not in RULES] == []


def test_city_staff_see_their_counties_and_not_a_sibling_city(world, as_user):
    assert visible_org_keys(world, world.jm_manager, as_user) == {
        "pj_maker",
        "jh_maker",
        "jm_leader",
        "jm_institute",
        "xh_association",
    }


def test_county_staff_see_their_own_county_and_not_the_sibling_county(world, as_user):
    assert visible_org_keys(world, world.pj_manager, as_user) == {"pj_maker"}
    assert visible_org_keys(world, world.jh_manager, as_user) == {"jh_maker"}


def test_province_staff_see_both_cities_but_not_another_province(world, as_user):
    seen = visible_org_keys(world, world.gd_manager, as_user)
    assert {"pj_maker", "jm_leader", "gz_maker"} <= seen
    assert "wj_maker" not in seen


def test_an_applicant_sees_only_its_own_organization(world, as_user):
    assert visible_org_keys(world, world.pj_applicant, as_user) == {"pj_maker"}
    assert visible_org_keys(world, world.pj_member, as_user) == {"pj_maker"}
    assert visible_org_keys(world, world.gz_applicant, as_user) == {"gz_maker"}


def test_an_expert_and_the_anonymous_public_see_no_organization(world, as_user):
    assert visible_org_keys(world, world.expert_li, as_user) == set()
    with as_user(None):
        assert Organization.objects.count() == 0


def test_the_operator_sees_everything(world, as_user):
    assert visible_org_keys(world, world.operator, as_user) == set(world.organizations)


def test_a_foreign_object_is_404_and_the_attempt_is_audited(world, as_user):
    with as_user(world.jm_manager):
        with pytest.raises(Http404):
            visible_or_404(Organization.objects, pk=world.gz_maker.pk)
        with pytest.raises(Http404):
            visible_or_404(Organization.objects, pk=999_999)  # missing: 404 too, not audited
        with pytest.raises(Http404):
            visible_or_404(Organization.objects, pk="not-a-number")
    with as_user(world.operator):
        denials = AuditEvent.objects.filter(action="access_denied")
        assert list(denials.values_list("object_id", flat=True)) == [str(world.gz_maker.pk)]


def test_memberships_of_a_foreign_city_are_invisible(world, as_user):
    with as_user(world.jm_admin):
        usernames = set(Membership.objects.values_list("user__username", flat=True))
    assert {"jm_manager", "pj_manager", "pj_applicant", "jm_admin"} <= usernames
    assert not usernames & {"gz_manager", "gz_applicant", "wj_manager", "operator"}


def test_audit_trail_is_visible_to_tenant_admins_only(world, as_user):
    with as_user(world.jm_admin):
        jm_events = AuditEvent.objects.count()
    with as_user(world.jm_manager):
        manager_events = AuditEvent.objects.count()
    with as_user(world.gz_admin):
        gz_sees_jm = AuditEvent.objects.filter(bureau=world.jm).count()
    assert jm_events > 0
    assert manager_events == 0
    assert gz_sees_jm == 0


def test_visibility_comes_from_memberships_only(world):
    visibility = Visibility.for_user(world.pj_applicant)
    assert visibility.organization_ids == {world.pj_maker.pk}
    assert visibility.staff_bureau_ids == frozenset()
    assert not visibility.is_operator


def test_each_models_filter_is_built_once_per_visibility_and_reused(world, monkeypatch):
    """A request's querysets share one filter per model instead of rebuilding it each time."""
    from portal import visibility as core
    from portal.models import Organization

    calls = []

    def counted(rule):
        def wrapper(v, prefix):
            calls.append(prefix)
            return rule(v, prefix)

        return wrapper

    rules = [counted(rule) for rule in core.RULES[Organization]]
    monkeypatch.setitem(core.RULES, Organization, rules)
    visibility = Visibility.for_user(world.jm_manager)
    with visibility_scope(visibility):
        first = set(Organization.objects.values_list("pk", flat=True))
        for _ in range(4):
            assert set(Organization.objects.values_list("pk", flat=True)) == first
    assert len(calls) == len(rules)
    other = Visibility.for_user(world.gz_manager)  # another user's visibility builds its own
    with visibility_scope(other):
        assert set(Organization.objects.values_list("pk", flat=True)) != first
    assert len(calls) == 2 * len(rules)


def test_a_rule_leaves_out_branches_that_name_no_value_without_running_a_subquery(world):
    """``any_of`` drops ``Q(x__in=[])`` branches (each would be compiled into every count and
    page of a list), keeps a subquery unevaluated, and admits nothing when nothing is left."""
    from django.db.models import Q

    from portal.models import Organization
    from portal.visibility import any_of

    subquery = Organization._base_manager.filter(name="none").values("pk")
    kept = any_of(Q(pk__in=[]), Q(home_bureau_id__in={world.pj.pk}), Q(pk__in=subquery))
    assert subquery._result_cache is None
    assert kept == Q(home_bureau_id__in={world.pj.pk}) | Q(pk__in=subquery)
    assert any_of(Q(pk__in=()), Q(bureau_id__in=frozenset())) == Q(pk__in=[])
    assert any_of(~Q(pk__in=[])) == ~Q(pk__in=[])
    with visibility_scope(Visibility.for_user(world.pj_manager)):
        sql = str(Organization.objects.all().query)
    assert " IN ()" not in sql and "IN (" in sql
