"""The county's demand, problem and scenario list with adapted products (002 附4)."""

import io

import pytest
from openpyxl import load_workbook

from pilots.exports import DEMAND_LIST_DIRECTIONS
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
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=5)]
    # All six directions, one row each here, with the labels of 附4's rows.
    assert [r[0] for r in values] == list(DEMAND_LIST_DIRECTIONS.values())
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


def official_list(world, product):
    """Two rows under 设备数采 and one under 数据治理: the other four directions stay empty."""
    with scopes_disabled():
        demand = DemandList.objects.create(bureau=world.pj, sub_industry="五金制品及零配件")
        for direction, problem in (
            ("设备数采", "冲压设备开机靠人工记录"),
            ("设备数采", "抛光线能耗不明"),
            ("数据治理", "订单与库存数据分散"),
        ):
            DemandRow.objects.create(
                demand_list=demand,
                direction=direction,
                problem=problem,
                need="n",
                scenario="s",
                budget_wan="2.5",
                product=product,
            )
    return demand


def test_the_demand_list_xlsx_groups_name_summary_price_provider_under_one_merged_heading(
    client, world, product
):
    """002 附4: 名称/简述/价格/服务商 under 适用产品和解决方案; the other headings span both
    header rows, and a direction with several rows is one merged cell down them."""
    demand = official_list(world, product)
    client.force_login(world.pj_manager)
    download = client.get(f"/pilots/demand-lists/{demand.pk}/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(download.content)).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"F3:I3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "A5:A6"} <= merged
    assert sheet["F3"].value == "适用产品和解决方案"
    assert [sheet.cell(row=4, column=c).value for c in range(6, 10)] == [
        "名称",
        "简述",
        "价格",
        "服务商",
    ]
    assert sheet["A3"].value == "方向" and sheet["E3"].value == "改造总投资预算"
    assert sheet["B3"].value == "问题（含行业共性问题和企业个性问题）"
    assert [sheet.cell(row=r, column=1).value for r in range(5, 8)] == [
        "设备数采改造",
        None,
        "要素互联互通改造",
    ]
    assert [sheet.cell(row=r, column=2).value for r in (5, 6)] == [
        "冲压设备开机靠人工记录",
        "抛光线能耗不明",
    ]


def test_the_demand_list_prints_as_a_pdf_in_the_official_layout(client, world, product):
    from pypdf import PdfReader

    from pilots.exports import DemandListExporter
    from portal import table_pdf

    demand = official_list(world, product)
    client.force_login(world.pj_manager)
    response = client.get(f"/pilots/demand-lists/{demand.pk}/", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = text.replace("\n", "").replace(" ", "")
    positions = [
        text.index(label)
        for label in ("适用产品和解决方案", "名称", "简述", "价格", "服务商", "设备数采改造")
    ]
    assert positions == sorted(positions)
    directions = [text.index(label) for label in DEMAND_LIST_DIRECTIONS.values()]
    assert directions == sorted(directions)  # the six directions in 附4's order
    assert "中小企业数字化转型需求、问题和场景清单及适配产品库" in text
    # The printed table has the same spans as the sheet.
    with scopes_disabled():
        rows = list(demand.rows.select_related("product__provider"))
        head = table_pdf.table_rows(DemandListExporter(demand_list=demand, rows=rows))["head"]
    assert [(c["text"], c["rowspan"], c["colspan"]) for c in head[0]][-1] == (
        "适用产品和解决方案",
        1,
        4,
    )
    assert head[0][0]["rowspan"] == 2 and [c["text"] for c in head[1]] == [
        "名称",
        "简述",
        "价格",
        "服务商",
    ]
