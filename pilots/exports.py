"""Pilot tables in their official layouts."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _

from portal import exporters

from .models import DemandList, DemandRow, FundUse, PilotProgramme, Product

# The direction labels as the rows of 002 附4 print them (the catalogue keeps the short codes of
# 附2's needs, Product.DIRECTIONS).
DEMAND_LIST_DIRECTIONS = {
    "设备数采": "设备数采改造",
    "要素互联互通": "要素互联互通改造",
    "数据治理": "数据治理改造",
    "人工智能赋能应用": "人工智能赋能应用",
    "网络、算力和数据安全": "网络、算力和数据安全",
    "其他": "其他",
}


@exporters.register
class DemandListExporter(exporters.Exporter):
    """The demand, problem and scenario list with adapted products in the 002 附4 layout: a
    two-row header whose last four columns (名称/简述/价格/服务商) sit under the merged
    适用产品和解决方案, the first five spanning both rows; rows grouped by direction with the
    direction merged down its rows (every direction listed, empty ones too). The layout's labels
    are the official form's, so they stay in Chinese."""

    identifier = "demand_list"
    column_widths = (18, 30, 30, 30, 14, 20, 30, 10, 24)
    wrap_text = True

    def __init__(self, *, demand_list: DemandList, rows: list[DemandRow]) -> None:
        self.demand_list, self.rows = demand_list, rows

    def sheet_title(self) -> str:
        return "附4"

    def filename(self) -> str:
        return (
            f"{_('Demand list')}-{self.demand_list.bureau.region_name}"
            f"-{self.demand_list.sub_industry}"
        )

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [
            ["中小企业数字化转型需求、问题和场景清单及适配产品库"],
            [
                f"县（市、区）：{self.demand_list.bureau.region_name}",
                "",
                f"细分行业：{self.demand_list.sub_industry}",
                "",
                "",
                "",
                "",
                "",
                "单位：万元",
            ],
        ]

    def header_rows(self) -> Sequence[Sequence[Any]]:
        return [
            [
                "方向",
                "问题（含行业共性问题和企业个性问题）",
                "需求（含行业共性问题和企业个性问题）",
                "场景描述",
                "改造总投资预算",
                "适用产品和解决方案",
                "",
                "",
                "",
            ],
            ["", "", "", "", "", "名称", "简述", "价格", "服务商"],
        ]

    def headers(self) -> Sequence[Any]:
        return self.header_rows()[0]

    def _groups(self) -> list[tuple[str, list[DemandRow | None]]]:
        return [
            (direction, [r for r in self.rows if r.direction == direction] or [None])
            for direction in Product.DIRECTIONS
        ]

    def merged_cells(self) -> Iterable[str]:
        header = len(list(self.title_rows())) + 1
        spans = [
            "A1:I1",
            "A2:B2",
            "C2:H2",
            *(f"{column}{header}:{column}{header + 1}" for column in "ABCDE"),
            f"F{header}:I{header}",
        ]
        row = header + 2
        for _direction, rows in self._groups():
            if len(rows) > 1:
                spans.append(f"A{row}:A{row + len(rows) - 1}")
            row += len(rows)
        return spans

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for direction, rows in self._groups():
            for number, row in enumerate(rows):
                product = row.product if row else None
                yield [
                    DEMAND_LIST_DIRECTIONS[direction] if number == 0 else "",
                    row.problem if row else "",
                    row.need if row else "",
                    row.scenario if row else "",
                    float(row.budget_wan) if row else None,
                    product.name if product else "",
                    product.summary if product else "",
                    float(product.price_wan) if product else None,
                    product.provider.name if product else "",
                ]


@exporters.register
class FundUseExporter(exporters.Exporter):
    """A programme's fund uses by category (003 §四(二)), amounts in 万元."""

    identifier = "fund_uses"
    column_widths = (12, 24, 14, 40, 30)

    def __init__(self, *, programme: PilotProgramme, uses: list[FundUse]) -> None:
        self.programme, self.uses = programme, uses

    def filename(self) -> str:
        return f"{_('Fund uses')}-{self.programme.name}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[self.programme.name], [_("Unit: 10k yuan")]]

    def headers(self) -> Sequence[Any]:
        return [_("Date"), _("Category"), _("Amount (10k yuan)"), _("Description"), _("Enterprise")]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for use in self.uses:
            subsidy = getattr(use, "subsidy", None)
            yield [
                use.spent_on.isoformat(),
                use.get_category_display(),
                use.amount_wan,
                use.description,
                subsidy.enterprise.organization.name if subsidy else "",
            ]
