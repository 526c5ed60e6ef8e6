"""The core's importers: organizations (a bureau's register of the enterprises of its area)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import imports, uscc
from .models import Bureau, Organization
from .services import resolve_home_bureau

KINDS = {
    "企业": Organization.Kind.ENTERPRISE,
    "事业单位": Organization.Kind.INSTITUTION,
    "社会团体": Organization.Kind.ASSOCIATION,
    "协会": Organization.Kind.ASSOCIATION,
    "其他": Organization.Kind.ASSOCIATION,
}
# The profile columns a sheet may fill (the organization keeps them afterwards).
PROFILE = ("address", "legal_representative", "contact_name", "contact_phone", "contact_email")


def target_bureau(resource: imports.ImportResource, row: Any, errors: dict[str, str]) -> Any:
    """The bureau a row names by its division code (``bureau`` column), else the importing
    bureau; refused outside the importing bureau's subtree."""
    code = resource.value(row, "bureau") if "bureau" in resource.columns else ""
    if not code:
        if resource.bureau is None:
            errors[resource.columns["bureau"]] = _("Fill in this column.")
        return resource.bureau
    bureau = Bureau.objects.filter(
        division_code=code, department=Bureau.Department.INDUSTRY
    ).first()
    if bureau is None or not resource.in_subtree(bureau.pk):
        errors[resource.columns["bureau"]] = _(
            "Name your own bureau or one below it by its 6-digit division code."
        )
        return None
    return bureau


class OrganizationResource(imports.ImportResource):
    columns = {
        "name": "单位名称",
        "uscc": "统一社会信用代码",
        "kind": "单位类型",
        "bureau": "主管部门行政区划代码",
        "address": "注册地址",
        "legal_representative": "法定代表人",
        "contact_name": "联系人",
        "contact_phone": "联系电话",
        "contact_email": "联系邮箱",
    }
    required = ("name", "uscc")

    class Meta(imports.ImportResource.Meta):
        model = Organization

    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        try:
            code = uscc.validate(self.value(row, "uscc"))
        except ValidationError as error:
            errors[self.columns["uscc"]] = " ".join(error.messages)
            return
        row["_uscc"] = code
        kind_word = self.value(row, "kind")
        kind = KINDS.get(kind_word, kind_word if kind_word in Organization.Kind.values else None)
        if kind_word and kind is None:
            errors[self.columns["kind"]] = _("Write 企业, 事业单位 or 社会团体.")
        row["_kind"] = kind or Organization.Kind.ENTERPRISE
        if self.value(row, "bureau"):
            bureau = target_bureau(self, row, errors)
            if bureau is not None and bureau.level == Bureau.Level.PROVINCE:
                errors[self.columns["bureau"]] = _("Choose a city or county industry bureau.")
        else:
            try:
                bureau = resolve_home_bureau(code)
            except ValidationError as error:
                errors[self.columns["uscc"]] = " ".join(error.messages)
                return
            if not self.in_subtree(bureau.pk):
                errors[self.columns["uscc"]] = _(
                    "This code is registered in another region (%(bureau)s), outside your area."
                ) % {"bureau": bureau.name}
                return
        row["_bureau"] = bureau
        existing = self.existing(code)
        if existing is not None and not self.in_subtree(existing.home_bureau_id):
            errors[self.columns["uscc"]] = _(
                "This code is registered under another bureau, outside your area."
            )

    def existing(self, code: str) -> Organization | None:
        # The code is unique portal-wide: found across tenants so a row never duplicates it (the
        # same check as organization_record); the caller learns only that it exists.
        return Organization._base_manager.filter(uscc=code).first()

    def get_instance(self, instance_loader: Any, row: Any) -> Organization | None:
        code = row.get("_uscc")
        return self.existing(code) if code else None

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        # A registered organization keeps its own profile: a bureau's list leaves it unchanged;
        # only the operator (in the admin, for no bureau) corrects one from a sheet.
        return bool(instance.pk) and self.bureau is not None and not row.get("_errors")

    def fill(self, instance: Organization, row: Any) -> None:
        if instance.pk is None:
            instance.uscc = row["_uscc"]
            instance.kind = row["_kind"]
            instance.home_bureau = row["_bureau"]
        instance.name = self.value(row, "name")[:200]
        for key in PROFILE:
            value = self.value(row, key)
            if value:
                setattr(instance, key, value)


@imports.register
class OrganizationImporter(imports.Importer):
    identifier = "organizations"
    verbose_name = gettext_lazy("Organizations")
    resource = OrganizationResource
    help_text = gettext_lazy(
        "Enterprises and institutions of your area by their unified social credit code. The "
        "competent bureau follows from the code unless the division code column names one. "
        "Organizations already on the portal are left as their own admins keep them."
    )
