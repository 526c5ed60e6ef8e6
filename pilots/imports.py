"""What a bureau imports from a spreadsheet in this app: pilot enterprises (enrolled for a
leading unit serving its area, with the checks of the leading unit's own sheet), and its
reference list of service providers and their products (002 §三)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports, uscc
from portal.import_resources import target_bureau
from portal.models import Bureau

from .models import LeadingUnit, PilotEnterprise, Product, ServiceProvider
from .services.enrolment import (
    FIELD_COLUMNS,
    _enrolled_codes,
    enrolment_check,
    enrolment_row,
)
from .services.records import file_start

CAPABILITIES = {
    "综合型": ServiceProvider.Capability.COMPREHENSIVE,
    "行业型": ServiceProvider.Capability.INDUSTRY,
    "场景型": ServiceProvider.Capability.SCENARIO,
}
FIELDS = {
    "智能装备": ServiceProvider.Field.EQUIPMENT,
    "工业软件": ServiceProvider.Field.SOFTWARE,
    "网络及算力基础设施": ServiceProvider.Field.INFRASTRUCTURE,
}
YES_NO = {"是": True, "否": False, "自有": True, "授权": False}


# --- pilot enterprises -----------------------------------------------------------------------------
class PilotEnterpriseResource(imports.ImportResource):
    """The leading unit's enrolment sheet (its columns and checks) plus the leading unit's code:
    a bureau enrols enterprises of its own area for a leading unit serving it."""

    columns = {**FIELD_COLUMNS, "leading_unit": "数字化牵引单位统一社会信用代码"}
    required = ("name", "uscc", "sub_industry", "scale", "above_scale", "leading_unit")

    class Meta(imports.ImportResource.Meta):
        model = PilotEnterprise

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: dict[int, set[str]] = {}
        self.enrolled: dict[int, set[str]] = {}
        self.units: dict[str, LeadingUnit | None] = {}

    def leading_unit(self, code: str) -> LeadingUnit | None:
        if code not in self.units:
            self.units[code] = self.serving_units().filter(organization__uscc=code).first()
        return self.units[code]

    def serving_units(self) -> Any:
        """Active leading units serving the importing bureau's area: selected by it, by a bureau
        above it, or below it."""
        if self.bureau is None:
            return LeadingUnit.objects.filter(status=LeadingUnit.Status.ACTIVE)
        line = [int(part) for part in self.bureau.path.strip("/").split("/")]
        subtree = self.bureau_subtree() or frozenset()
        # Selected leading units are published decisions (004 §2.1): a county enrols enterprises
        # for the city's units, which its staff scope does not show.
        return LeadingUnit._base_manager.filter(
            status=LeadingUnit.Status.ACTIVE, bureau_id__in=[*line, *subtree]
        ).select_related("organization")

    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        data, word_errors = enrolment_row(row)
        errors.update(word_errors)
        try:
            unit_code = uscc.validate(self.value(row, "leading_unit"))
        except ValidationError as error:
            errors[self.columns["leading_unit"]] = " ".join(error.messages)
            return
        unit = self.leading_unit(unit_code)
        if unit is None:
            errors[self.columns["leading_unit"]] = _(
                "No active leading unit serving your area has this code."
            )
            return
        if unit.pk not in self.enrolled:
            self.enrolled[unit.pk] = _enrolled_codes(unit)
        field_errors, organization = enrolment_check(
            leading_unit=unit,
            data=data,
            seen=self.seen.setdefault(unit.pk, set()),
            enrolled=self.enrolled[unit.pk],
        )
        errors.update({FIELD_COLUMNS[key]: message for key, message in field_errors.items()})
        if organization is not None and not self.in_subtree(organization.home_bureau_id):
            errors[self.columns["uscc"]] = _(
                "This enterprise is registered outside your area; its own bureau enrols it."
            )
        row.update(_data=data, _unit=unit, _organization=organization)

    def fill(self, instance: PilotEnterprise, row: Any) -> None:
        data, organization = row["_data"], row["_organization"]
        instance.organization = organization
        instance.leading_unit = row["_unit"]
        instance.bureau_id = organization.home_bureau_id
        instance.sub_industry = data.sub_industry
        instance.scale = data.scale
        instance.above_scale = data.above_scale
        instance.tier = data.tier
        instance.revenue = data.revenue
        instance.profit = data.profit

    def after_save_instance(self, instance: PilotEnterprise, row: Any, **kwargs: Any) -> None:
        file_start(instance)  # its one-enterprise-one-file record starts with it (002 附2)


@imports.register
class PilotEnterpriseImporter(imports.Importer):
    identifier = "pilot_enterprises"
    verbose_name = gettext_lazy("Pilot enterprises")
    resource = PilotEnterpriseResource
    help_text = gettext_lazy(
        "The leading units' enrolment sheet with one more column, the leading unit's code: "
        "enterprises of your area, enrolled for an active leading unit serving it."
    )


# --- providers and products -------------------------------------------------------------------------
class ProviderResource(imports.ImportResource):
    columns = {
        "name": "服务商名称",
        "uscc": "统一社会信用代码",
        "capability": "服务商类型",
        "field": "服务领域",
        "contact": "联系人及电话",
        "bureau": "主管部门行政区划代码",
    }
    required = ("name", "uscc", "capability", "field")

    class Meta(imports.ImportResource.Meta):
        model = ServiceProvider

    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        try:
            row["_uscc"] = uscc.validate(self.value(row, "uscc"))
        except ValidationError as error:
            errors[self.columns["uscc"]] = " ".join(error.messages)
        row["_capability"] = CAPABILITIES.get(self.value(row, "capability"))
        if row["_capability"] is None:
            errors[self.columns["capability"]] = _("Write 综合型, 行业型 or 场景型.")
        row["_field"] = FIELDS.get(self.value(row, "field"))
        if row["_field"] is None:
            errors[self.columns["field"]] = _("Write 智能装备, 工业软件 or 网络及算力基础设施.")
        row["_bureau"] = target_bureau(self, row, errors)

    def get_instance(self, instance_loader: Any, row: Any) -> ServiceProvider | None:
        if row.get("_errors") or not row.get("_bureau"):
            return None
        return ServiceProvider.objects.filter(bureau=row["_bureau"], uscc=row["_uscc"]).first()

    def fill(self, instance: ServiceProvider, row: Any) -> None:
        instance.bureau = row["_bureau"]
        instance.uscc = row["_uscc"]
        instance.name = self.value(row, "name")[:200]
        instance.capability = row["_capability"]
        instance.field = row["_field"]
        instance.contact = self.value(row, "contact")[:100]


@imports.register
class ProviderImporter(imports.Importer):
    identifier = "providers"
    verbose_name = gettext_lazy("Service providers")
    resource = ProviderResource
    help_text = gettext_lazy(
        "Your reference list of digital service providers (002 §三). A provider already on the "
        "list (same code) is updated."
    )


class ProductResource(imports.ImportResource):
    columns = {
        "name": "产品名称",
        "summary": "产品简介",
        "direction": "改造方向",
        "stage": "应用环节",
        "price_wan": "价格（万元）",
        "own_ip": "自主知识产权",
        "provider": "服务商统一社会信用代码",
        "bureau": "主管部门行政区划代码",
    }
    required = ("name", "summary", "direction", "stage", "price_wan", "own_ip", "provider")
    code_key = "provider"

    class Meta(imports.ImportResource.Meta):
        model = Product

    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        if self.value(row, "direction") not in Product.DIRECTIONS:
            errors[self.columns["direction"]] = _("Write one of: %(list)s.") % {
                "list": "、".join(Product.DIRECTIONS)
            }
        if self.value(row, "stage") not in Product.STAGES:
            errors[self.columns["stage"]] = _("Write one of: %(list)s.") % {
                "list": "、".join(Product.STAGES)
            }
        try:
            row["_price"] = Decimal(self.value(row, "price_wan").replace(",", ""))
        except InvalidOperation:
            errors[self.columns["price_wan"]] = _("Enter a number, e.g. 12.5.")
        row["_own_ip"] = YES_NO.get(self.value(row, "own_ip"))
        if row["_own_ip"] is None:
            errors[self.columns["own_ip"]] = _("Write 是 or 否.")
        bureau = target_bureau(self, row, errors)
        row["_provider"] = self.provider(row, bureau, errors)

    def provider(self, row: Any, bureau: Bureau | None, errors: dict[str, str]) -> Any:
        if bureau is None:
            return None
        provider = ServiceProvider.objects.filter(
            bureau=bureau, uscc=self.value(row, "provider").upper()
        ).first()
        if provider is None:
            errors[self.columns["provider"]] = _(
                "No provider with this code is on the bureau's list: import the providers first."
            )
        return provider

    def get_instance(self, instance_loader: Any, row: Any) -> Product | None:
        if row.get("_errors") or row.get("_provider") is None:
            return None
        return Product.objects.filter(
            provider=row["_provider"], name=self.value(row, "name")
        ).first()

    def fill(self, instance: Product, row: Any) -> None:
        instance.provider = row["_provider"]
        instance.name = self.value(row, "name")[:200]
        instance.summary = self.value(row, "summary")[:500]
        instance.direction = self.value(row, "direction")
        instance.stage = self.value(row, "stage")
        instance.price_wan = row["_price"]
        instance.own_ip = row["_own_ip"]


@imports.register
class ProductImporter(imports.Importer):
    identifier = "products"
    verbose_name = gettext_lazy("Products of the providers")
    resource = ProductResource
    help_text = gettext_lazy(
        "“小快轻准灵” products of the providers on your list, found by the provider's code. A "
        "product of the same provider and name is updated."
    )
