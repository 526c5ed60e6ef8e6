"""Transformation pages: task book, contract, completion and acceptance."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.money import wan_to_upper
from portal.params import text_param
from portal.visibility import visible_or_404

from .. import permissions
from ..forms import ContractForm, ContractItemFormSet, TaskBookForm
from ..models import (
    Contract,
    TaskBook,
)
from ..services import transformation as transformation_services
from .base import _enterprise, _private_pdf


@login_required
@require_http_methods(["GET", "POST"])
def task_book(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    if TaskBook.objects.filter(enterprise=enterprise).exists():
        return redirect("enterprise-detail", enterprise_pk=enterprise.pk)
    today = date.today()
    september = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    form = TaskBookForm(
        request.POST or None,
        initial={
            # 002 附3 §二(一): in principle from September to September of the next year.
            "starts_on": september,
            "ends_on": date(september.year + 1, 9, 30),
            "project_name": _("%(enterprise)s digital transformation project")
            % {"enterprise": enterprise.organization.name},
            "bank_account_name": enterprise.organization.name,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            transformation_services.task_book_create(
                visibility=request.visibility.resolve(),
                enterprise=enterprise,
                actor=request.user,
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The task book is ready for the three parties to sign."))
            return redirect("enterprise-detail", enterprise_pk=enterprise.pk)
    return render(request, "pilots/task_book_form.html", {"enterprise": enterprise, "form": form})


@login_required
@require_POST
def task_book_sign(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    book = visible_or_404(TaskBook.objects.filter(enterprise=enterprise), enterprise=enterprise)
    try:
        transformation_services.task_book_sign(
            visibility=request.visibility.resolve(),
            task_book=book,
            party=text_param(request.POST, "party", 16),
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Signed."))
    return redirect("enterprise-detail", enterprise_pk=enterprise.pk)


@login_required
@require_POST
def enterprise_action(request: HttpRequest, enterprise_pk: int, action: str) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility.resolve()
    try:
        if action == "complete":
            raw = text_param(request.POST, "completed_on", 10)
            try:
                completed_on = date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
            transformation_services.transformation_complete(
                visibility=visibility,
                enterprise=enterprise,
                completed_on=completed_on,
                actor=request.user,
            )
            messages.success(
                request,
                _(
                    "The transformation is reported complete; the enterprise applies for acceptance within a week."
                ),
            )
        elif action == "apply":
            transformation_services.acceptance_apply(
                visibility=visibility,
                enterprise=enterprise,
                material=request.FILES.get("material"),
                actor=request.user,
            )
            messages.success(request, _("The acceptance application is sent to the county bureau."))
        elif action == "decide":
            transformation_services.acceptance_decide(
                visibility=visibility,
                enterprise=enterprise,
                accepted=request.POST.get("accepted") == "yes",
                note=text_param(request.POST, "note", 5000),
                actor=request.user,
            )
            messages.success(request, _("The acceptance decision is recorded."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("enterprise-detail", enterprise_pk=enterprise.pk)


@login_required
@require_http_methods(["GET", "POST"])
def contract(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    """The transformation contract: drafted by the enterprise or its leading unit, itemised, then
    recorded as signed by the leading unit."""
    enterprise = _enterprise(request, enterprise_pk)
    visibility = request.visibility.resolve()
    existing = Contract.objects.filter(enterprise=enterprise).first()
    editable = permissions.is_enterprise_side(visibility, enterprise) and (
        existing is None or existing.status == Contract.Status.DRAFT
    )
    can_sign = (
        existing is not None
        and existing.status == Contract.Status.DRAFT
        and (
            visibility.is_operator
            or enterprise.leading_unit.organization_id in visibility.organization_ids
        )
    )
    posted = request.method == "POST" and request.POST.get("action") != "sign"
    if posted and not editable:
        raise PermissionDenied
    initial_items = (
        [
            {
                "product": i.product,
                "provider": i.provider,
                "quantity": i.quantity,
                "unit_price_wan": i.unit_price_wan,
            }
            for i in existing.items.all()
        ]
        if existing
        else []
    )
    form = ContractForm(request.POST if posted else None, instance=existing)
    formset = ContractItemFormSet(
        request.POST if posted else None, initial=initial_items, prefix="items"
    )
    if request.method == "POST" and request.POST.get("action") == "sign":
        if existing is None:
            raise Http404
        raw = text_param(request.POST, "signed_on", 10)
        try:
            transformation_services.contract_sign(
                visibility=visibility,
                contract=existing,
                signed_on=date.fromisoformat(raw),
                actor=request.user,
            )
            messages.success(request, _("The contract is recorded as signed."))
        except ValueError:
            messages.error(request, _("Enter a date as YYYY-MM-DD."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("contract", enterprise_pk=enterprise.pk)
    if posted and form.is_valid() and formset.is_valid():
        items = [f.cleaned_data for f in formset.forms if f.cleaned_data]
        try:
            transformation_services.contract_save(
                visibility=visibility,
                enterprise=enterprise,
                data={k: form.cleaned_data[k] for k in ContractForm.Meta.fields},
                items=items,
                actor=request.user,
            )
            messages.success(request, _("The contract is saved."))
            return redirect("contract", enterprise_pk=enterprise.pk)
        except ValidationError as error:
            form.add_error(None, error)  # a dict of field errors lands on its fields
    items = list(existing.items.all()) if existing else []
    total = sum((i.amount_wan for i in items), Decimal(0))
    return render(
        request,
        "pilots/contract.html",
        {
            "enterprise": enterprise,
            "contract": existing,
            "items": items,
            "total": total,
            "total_words": wan_to_upper(total) if items else "",
            "form": form if editable else None,
            "formset": formset,
            "can_sign": can_sign,
        },
    )


@login_required
def acceptance_material(request: HttpRequest, enterprise_pk: int) -> HttpResponse:
    enterprise = _enterprise(request, enterprise_pk)
    title = _("Acceptance materials")
    return _private_pdf(
        enterprise.acceptance_material, f"{title}-{enterprise.organization.name}.pdf"
    )
