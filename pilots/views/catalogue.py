"""The county's provider and product list and its demand lists (002 §三, 附4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import exporters, table_pdf
from portal.params import int_param, text_param
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import selectors
from ..exports import DemandListExporter
from ..forms import DemandListForm, DemandRowForm, ProductForm, ProviderForm
from ..models import (
    DemandList,
    DemandRow,
    Product,
    ServiceProvider,
)
from ..services import catalogue as catalogue_services


@login_required
@require_http_methods(["GET", "POST"])
def providers(request: HttpRequest) -> HttpResponse:
    """The county's reference list of digital service providers and their “small, fast, light,
    precise, flexible” products (002 §三.2, §四), filtered by direction."""
    visibility = request.visibility
    bureaus = selectors.catalogue_bureaus(visibility.resolve())
    provider_form = ProviderForm(
        request.POST if request.POST.get("action") == "provider" else None,
        bureaus=bureaus,
        prefix="provider",
    )
    product_form = ProductForm(
        request.POST if request.POST.get("action") == "product" else None,
        bureaus=bureaus,
        prefix="product",
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "provider" and provider_form.is_valid():
                data = dict(provider_form.cleaned_data)
                bureau_id = data.pop("bureau")
                catalogue_services.provider_add(
                    visibility=visibility.resolve(),
                    bureau_id=bureau_id,
                    data=data,
                    actor=request.user,
                )
                messages.success(request, _("The provider is on the list."))
                return redirect("providers")
            if action == "product" and product_form.is_valid():
                data = dict(product_form.cleaned_data)
                provider = data.pop("provider")
                catalogue_services.product_add(
                    visibility=visibility.resolve(),
                    provider=provider,
                    data=data,
                    actor=request.user,
                )
                messages.success(request, _("The product is on the list."))
                return redirect(f"{request.path}#provider-{provider.pk}")
        except ValidationError as error:
            form = provider_form if action == "provider" else product_form
            form.add_error("uscc" if error.code and error.code.startswith("uscc") else None, error)
    direction = text_param(request.GET, "direction", 20)
    if direction not in Product.DIRECTIONS:
        direction = ""
    listed = ServiceProvider.objects.select_related("bureau").order_by("bureau__path", "name", "pk")
    if direction:
        listed = listed.filter(products__direction=direction).distinct()
    page = paginate(request, listed)
    by_provider: dict[int, list[Product]] = {}
    products = Product.objects.filter(provider_id__in=[p.pk for p in page])
    if direction:
        products = products.filter(direction=direction)
    for product in products:
        by_provider.setdefault(product.provider_id, []).append(product)
    rows = [(provider, by_provider.get(provider.pk, [])) for provider in page]
    editable = {b.pk for b in bureaus}
    return render(
        request,
        "pilots/providers.html",
        {
            "page": page,
            "rows": rows,
            "editable": editable,
            "provider_form": provider_form if bureaus else None,
            "product_form": product_form if bureaus else None,
            "directions": Product.DIRECTIONS,
            "direction": direction,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_lists(request: HttpRequest) -> HttpResponse:
    """The county's demand, problem and scenario lists, one per sub-industry (002 附4)."""
    visibility = request.visibility.resolve()
    bureaus = selectors.catalogue_bureaus(visibility)
    form = DemandListForm(request.POST or None, bureaus=bureaus)
    if request.method == "POST":
        if not bureaus:
            raise PermissionDenied
        if form.is_valid():
            try:
                created = catalogue_services.demand_list_create(
                    visibility=visibility,
                    bureau_id=form.cleaned_data["bureau"],
                    sub_industry=form.cleaned_data["sub_industry"],
                    actor=request.user,
                )
                return redirect("demand-list", list_pk=created.pk)
            except ValidationError as error:
                form.add_error(None, error)  # field errors land on their fields
    lists = DemandList.objects.select_related("bureau").order_by("bureau__path", "sub_industry")
    return render(
        request,
        "pilots/demand_lists.html",
        {"page": paginate(request, lists), "form": form if bureaus else None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_list(request: HttpRequest, list_pk: int) -> HttpResponse:
    demand = visible_or_404(DemandList.objects.select_related("bureau"), pk=list_pk)
    visibility = request.visibility.resolve()
    editable = visibility.works_for(demand.bureau_id)
    form = DemandRowForm(
        request.POST if request.POST.get("action") == "add" else None, bureau_id=demand.bureau_id
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if request.POST.get("action") == "delete":
            row = visible_or_404(
                DemandRow.objects.filter(demand_list=demand), pk=int_param(request.POST, "row") or 0
            )
            catalogue_services.demand_row_delete(visibility=visibility, row=row, actor=request.user)
            return redirect("demand-list", list_pk=demand.pk)
        if form.is_valid():
            try:
                catalogue_services.demand_row_add(
                    visibility=visibility,
                    demand_list=demand,
                    data=form.cleaned_data,
                    actor=request.user,
                )
                messages.success(request, _("The row is added."))
                return redirect("demand-list", list_pk=demand.pk)
            except ValidationError as error:
                form.add_error(None, error)  # field errors land on their fields
    rows = list(demand.rows.select_related("product__provider"))
    if request.GET.get("format") in (*exporters.FORMATS, "pdf"):
        exporter = DemandListExporter(demand_list=demand, rows=rows)
        if request.GET["format"] == "pdf":  # 002 附4 printed in its layout
            return table_pdf.response(exporter)
        return exporter.response(request.GET["format"])
    grouped = [(d, [r for r in rows if r.direction == d]) for d in Product.DIRECTIONS]
    return render(
        request,
        "pilots/demand_list.html",
        {
            "demand": demand,
            "grouped": grouped,
            "form": form if editable else None,
            "editable": editable,
        },
    )
