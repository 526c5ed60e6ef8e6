"""Background work runs under the same guard as requests (DESIGN.md §3, §7)."""

import pytest
from celery import shared_task

from portal.models import Organization, WorkerHeartbeat
from portal.scoping import ScopeError
from portal.tasks import ScopedTask, record_heartbeat

pytestmark = pytest.mark.django_db


@shared_task(base=ScopedTask, name="tests.visible_organization_names")
def visible_organization_names(acting_user_id):
    return sorted(Organization.objects.values_list("name", flat=True))


@shared_task(name="tests.unscoped_count")
def unscoped_count():
    return Organization.objects.count()


def test_a_task_without_a_scope_fails_loudly(world):
    with pytest.raises(ScopeError):
        unscoped_count.apply(throw=True)


def test_a_scoped_task_sees_what_its_user_sees(world):
    names = visible_organization_names.apply(args=[world.pj_manager.pk], throw=True).get()
    assert names == [world.pj_maker.name]


def test_a_deactivated_user_s_task_sees_nothing(world):
    world.pj_manager.is_active = False
    world.pj_manager.save(update_fields=["is_active"])
    assert visible_organization_names.apply(args=[world.pj_manager.pk], throw=True).get() == []


def test_the_heartbeat_is_safe_to_run_twice(world):
    record_heartbeat.apply(throw=True)
    record_heartbeat.apply(throw=True)
    assert WorkerHeartbeat.objects.count() == 1
