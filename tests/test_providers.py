"""The county's provider and product reference list (002 §三.2, §四): kept by county staff,
published to the pilot parties of that county and to nobody else."""

import pytest

from pilots.models import Product, ServiceProvider
from portal.models import AuditEvent
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit

from .test_pilot_enterprises import good_rows, run, sheet

pytestmark = pytest.mark.django_db

CODE = with_check_digit("91440703MA0000009")


def provider_data(world, **overrides):
    data = {
        "action": "provider",
        "provider-bureau": str(world.pj.pk),
        "provider-name": "江门市智造云科技有限公司",
        "provider-uscc": CODE,
        "provider-capability": "scenario",
        "provider-field": "software",
        "provider-contact": "",
    }
    return data | overrides


def product_data(provider, **overrides):
    data = {
        "action": "product",
        "product-provider": str(provider.pk),
        "product-name": "五金件视觉质检小程序",
        "product-summary": "产线相机采集，缺陷自动判定",
        "product-direction": "人工智能赋能应用",
        "product-stage": "制造",
        "product-price_wan": "3.80",
        "product-own_ip": "on",
    }
    return data | overrides


def test_county_staff_list_a_provider_and_its_product(client, world):
    client.force_login(world.pj_manager)
    assert client.post("/pilots/providers/", provider_data(world)).status_code == 302
    with scopes_disabled():
        provider = ServiceProvider.objects.get()
    assert provider.bureau == world.pj and provider.uscc == CODE
    assert client.post("/pilots/providers/", product_data(provider)).status_code == 302
    with scopes_disabled():
        product = Product.objects.get()
        assert product.own_ip and str(product.price_wan) == "3.80"
        assert (
            AuditEvent.objects.filter(action__in=["provider_added", "product_added"]).count() == 2
        )
    page = client.get("/pilots/providers/", {"direction": "人工智能赋能应用"}).content.decode()
    assert "五金件视觉质检小程序" in page
    other = client.get("/pilots/providers/", {"direction": "数据治理"}).content.decode()
    assert f'id="provider-{provider.pk}"' not in other


def test_bad_input_is_explained_and_nothing_is_saved(client, world):
    client.force_login(world.pj_manager)
    bad_code = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    response = client.post(
        "/pilots/providers/", provider_data(world, **{"provider-uscc": bad_code})
    )
    assert response.status_code == 200 and "校验码" in response.content.decode()
    client.post("/pilots/providers/", provider_data(world))
    again = client.post("/pilots/providers/", provider_data(world))
    assert "已在名录中" in again.content.decode()
    with scopes_disabled():
        provider = ServiceProvider.objects.get()
    price = client.post(
        "/pilots/providers/", product_data(provider, **{"product-price_wan": "三万"})
    )
    assert price.status_code == 200
    with scopes_disabled():
        assert Product.objects.count() == 0


def test_a_foreign_bureau_cannot_add_to_the_list(client, world):
    client.force_login(world.gz_manager)
    response = client.post("/pilots/providers/", provider_data(world))
    assert response.status_code == 200  # the county is not a valid choice for this user
    with scopes_disabled():
        assert ServiceProvider.objects.count() == 0
        provider = ServiceProvider.objects.create(
            bureau=world.pj, name="某服务商", uscc=CODE, capability="industry", field="equipment"
        )
    client.post("/pilots/providers/", product_data(provider))
    with scopes_disabled():
        assert Product.objects.count() == 0


def test_the_list_is_seen_by_the_county_s_pilot_parties_only(client, world, leading_unit):
    with scopes_disabled():
        provider = ServiceProvider.objects.create(
            bureau=world.pj,
            name="江门市智造云科技有限公司",
            uscc=CODE,
            capability="industry",
            field="equipment",
        )
    run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    for user, sees in [
        (world.pj_manager, True),
        (world.pj_applicant, True),  # a pilot enterprise of that county
        (world.jm_leader_admin, True),  # the leading unit serving it
        (world.gz_applicant, False),
        (world.gz_manager, False),
        (world.jh_manager, False),
    ]:
        client.force_login(user)
        page = client.get("/pilots/providers/").content.decode()
        assert (f'id="provider-{provider.pk}"' in page) is sees, user.username
