"""The transformation contract: duties, measures, period, targets and priced items; drafted by
the enterprise side, recorded as signed by the leading unit, then final."""

import pytest

from pilots.models import Contract
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def post_data(**overrides):
    data = {
        "duties": "甲方：配合改造；乙方：实施改造",
        "measures": "设备联网，视觉质检",
        "targets": "设备联网率达到80%",
        "starts_on": "2025-09-01",
        "ends_on": "2026-08-31",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
        "items-0-product": "设备联网数采盒",
        "items-0-provider": "江门市智造云科技有限公司",
        "items-0-quantity": "12",
        "items-0-unit_price_wan": "0.35",
        "items-1-product": "五金件视觉质检",
        "items-1-provider": "江门市智造云科技有限公司",
        "items-1-quantity": "1",
        "items-1-unit_price_wan": "3.80",
    }
    return data | overrides


def test_the_leading_unit_drafts_itemises_and_records_signing(client, world, signed_enterprise):
    url = f"/pilots/enterprises/{signed_enterprise.pk}/contract/"
    client.force_login(world.jm_leader_admin)
    assert client.post(url, post_data()).status_code == 302
    page = client.get(url).content.decode()
    # 12 × 0.35 + 3.80 = 8.00 万元 = 捌万元整
    assert "4.20" in page and "8.00" in page and "捌万元整" in page
    bad = client.post(url, post_data(ends_on="2025-08-01", **{"items-0-quantity": "0"}))
    assert bad.status_code == 200
    with scopes_disabled():
        contract = Contract.objects.get()
        assert contract.ends_on.isoformat() == "2026-08-31" and contract.items.count() == 2
    # The enterprise reads it but only the leading unit records signing.
    client.force_login(world.pj_applicant)
    assert "设备联网数采盒" in client.get(url).content.decode()
    client.post(url, {"action": "sign", "signed_on": "2025-09-02"})
    with scopes_disabled():
        assert Contract.objects.get().status == "draft"
    client.force_login(world.jm_leader_admin)
    client.post(url, {"action": "sign", "signed_on": "2025-09-02"})
    with scopes_disabled():
        assert Contract.objects.get().status == "signed"
    # Signed is final.
    assert client.post(url, post_data(measures="改")).status_code == 403
    with scopes_disabled():
        assert Contract.objects.get().measures == "设备联网，视觉质检"


def test_a_contract_needs_an_item_and_a_sane_date(client, world, signed_enterprise):
    url = f"/pilots/enterprises/{signed_enterprise.pk}/contract/"
    client.force_login(world.jm_leader_admin)
    empty = post_data(
        **{
            f"items-{n}-{f}": ""
            for n in (0, 1)
            for f in ("product", "provider", "quantity", "unit_price_wan")
        }
    )
    assert client.post(url, empty).status_code == 200
    client.post(url, post_data())
    assert client.post(url, {"action": "sign", "signed_on": "not a date"}).status_code == 302
    assert client.post(url, {"action": "sign", "signed_on": "2999-01-01"}).status_code == 302
    with scopes_disabled():
        assert Contract.objects.get().status == "draft"


def test_strangers_get_404(client, world, signed_enterprise):
    url = f"/pilots/enterprises/{signed_enterprise.pk}/contract/"
    for stranger in (world.gz_applicant, world.jh_manager, world.jh_applicant):
        client.force_login(stranger)
        assert client.get(url).status_code == 404, stranger.username
        assert client.post(url, post_data()).status_code == 404, stranger.username
