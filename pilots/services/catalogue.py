"""The county's references: service providers and products (002 §三), and the demand, problem
and scenario lists with adapted products (002 附4)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal import audit, uscc
from portal.models import BUREAU_ROLES, User
from portal.visibility import Visibility

from ..models import (
    DemandList,
    DemandRow,
    Product,
    ServiceProvider,
)


@transaction.atomic
def provider_add(
    *, visibility: Visibility, bureau_id: int, data: dict[str, Any], actor: User
) -> ServiceProvider:
    if bureau_id not in visibility.bureau_ids_with(BUREAU_ROLES):
        raise PermissionDenied
    code = uscc.validate(data["uscc"])
    # Unscoped existence check within the caller's own bureau: answers only yes or no.
    if ServiceProvider._base_manager.filter(bureau_id=bureau_id, uscc=code).exists():
        raise ValidationError(
            _("This provider is already on the list (same unified social credit code)."),
            code="provider_duplicate",
        )
    provider = ServiceProvider.objects.create(
        bureau_id=bureau_id,
        name=data["name"],
        uscc=code,
        capability=data["capability"],
        field=data["field"],
        contact=data.get("contact", ""),
    )
    audit.record_for(
        provider,
        action="provider_added",
        actor=actor,
        bureau=provider.bureau,
    )
    return provider


@transaction.atomic
def product_add(
    *, visibility: Visibility, provider: ServiceProvider, data: dict[str, Any], actor: User
) -> Product:
    if provider.bureau_id not in visibility.bureau_ids_with(BUREAU_ROLES):
        raise PermissionDenied
    product = Product.objects.create(provider=provider, **data)
    audit.record_for(
        product,
        action="product_added",
        actor=actor,
        bureau=provider.bureau,
    )
    return product


# --- the demand, problem and scenario list (002 附4) -------------------------------------------------------
def demand_list_create(
    *, visibility: Visibility, bureau_id: int, sub_industry: str, actor: User
) -> DemandList:
    if not visibility.works_for(bureau_id):
        raise PermissionDenied
    sub_industry = sub_industry.strip()
    if not sub_industry:
        raise ValidationError({"sub_industry": _("Name the sub-industry.")})
    # One list per sub-industry (附4: "每个细分行业填写一张"); an unscoped yes/no within the
    # caller's own bureau, to match the database constraint.
    if DemandList._base_manager.filter(bureau_id=bureau_id, sub_industry=sub_industry).exists():
        raise ValidationError(
            {"sub_industry": _("This sub-industry already has a list.")}, code="demand_duplicate"
        )
    demand_list = DemandList.objects.create(bureau_id=bureau_id, sub_industry=sub_industry)
    audit.record_for(
        demand_list,
        action="demand_list_created",
        actor=actor,
        bureau=demand_list.bureau,
    )
    return demand_list


def demand_row_add(
    *, visibility: Visibility, demand_list: DemandList, data: dict[str, Any], actor: User
) -> DemandRow:
    if not visibility.works_for(demand_list.bureau_id):
        raise PermissionDenied
    product = data.get("product")
    if product is not None and product.provider.bureau_id != demand_list.bureau_id:
        raise ValidationError({"product": _("Choose a product from this county's list.")})
    row = DemandRow.objects.create(demand_list=demand_list, **data)
    audit.record_for(
        demand_list,
        action="demand_row_added",
        actor=actor,
        bureau=demand_list.bureau,
    )
    return row


def demand_row_delete(*, visibility: Visibility, row: DemandRow, actor: User) -> None:
    demand_list = row.demand_list
    if not visibility.works_for(demand_list.bureau_id):
        raise PermissionDenied
    row.delete()
    audit.record_for(
        demand_list,
        action="demand_row_deleted",
        actor=actor,
        bureau=demand_list.bureau,
    )
