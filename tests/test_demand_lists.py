"""The county's demand, problem and scenario list with adapted products (002 附4)."""

import io

import pytest
from openpyxl import load_workbook

from pilots.models import DemandList, DemandRow, Product, ServiceProvider
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(world):
    with scopes_disabled():
        provider = ServiceProvider.objects.create(
            bureau=world.pj,
            name="江门市智造云科技有限公司",
            uscc=with_check_digit("91440703MA0000009"),
            capability="scenario",
            field="software",
        )
        return Product.objects.create(
            provider=provider,
            name="设备联网数采盒",
            summary="老旧机床免改造接入",
            direction="设备数采",
            stage="制造",
            price_wan="1.20",
            own_ip=True,
        )


def row(product, **overrides):
    data = {
        "action": "add",
        "direction": "设备数采",
        "problem": '=HYPERLINK("x")老旧设备无法联网',
        "need": "采集开机和产量",
        "scenario": "冲压车间",
        "budget_wan": "12.5",
        "product": str(product.pk),
    }
    return data | overrides


def test_county_staff_build_the_list_and_download_it(client, world, product):
    client.force_login(world.pj_manager)
    response = client.post(
        "/pilots/demand-lists/", {"bureau": str(world.pj.pk), "sub_industry": "五金制品及零配件"}
    )
    assert response.status_code == 302
    again = client.post(
        "/pilots/demand-lists/", {"bureau": str(world.pj.pk), "sub_industry": "五金制品及零配件"}
    )
    assert again.status_code == 200 and "已有清单" in again.content.decode()
    with scopes_disabled():
        demand = DemandList.objects.get()
    url = f"/pilots/demand-lists/{demand.pk}/"
    assert client.post(url, row(product)).status_code == 302
    assert client.post(url, row(product, budget_wan="-1")).status_code == 200
    assert client.post(url, row(product, direction="不存在")).status_code == 200
    with scopes_disabled():
        assert DemandRow.objects.count() == 1
    page = client.get(url).content.decode()
    assert "设备联网数采盒" in page and "江门市智造云科技有限公司" in page
    download = client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(download.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert [r[0] for r in values] == Product.DIRECTIONS  # all six directions, one row each here
    first = values[0]
    assert first[1].startswith("'=")  # a formula typed into a cell stays text
    assert (
        first[4] == 12.5 and first[5] == "设备联网数采盒" and first[8] == "江门市智造云科技有限公司"
    )


def test_a_product_of_another_county_cannot_be_attached(client, world, product):
    with scopes_disabled():
        demand = DemandList.objects.create(bureau=world.jh, sub_industry="五金制品及零配件")
    client.force_login(world.jh_manager)
    response = client.post(f"/pilots/demand-lists/{demand.pk}/", row(product))
    assert response.status_code == 200
    with scopes_disabled():
        assert DemandRow.objects.count() == 0


def test_outsiders_get_404_and_readers_cannot_write(client, world, product, leading_unit):
    from .test_pilot_enterprises import good_rows, run, sheet

    with scopes_disabled():
        demand = DemandList.objects.create(bureau=world.pj, sub_industry="五金制品及零配件")
    url = f"/pilots/demand-lists/{demand.pk}/"
    for outsider in (world.jh_manager, world.gz_applicant):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    run(world, leading_unit, sheet(good_rows(world)), confirm=True)
    client.force_login(world.pj_applicant)  # a pilot enterprise of the county reads it
    assert client.get(url).status_code == 200
    assert client.post(url, row(product)).status_code == 403
