"""Pages for call templates: list, detail, clone and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.book import Book, localized
from portal.models import Bureau, Role
from portal.views import paginate
from portal.visibility import visible_or_404

from .. import selectors, services
from ..forms import TemplateEditForm
from ..models import (
    CallTemplate,
)


# --- templates --------------------------------------------------------------------------------------
@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    if not (request.visibility.is_bureau_staff or request.visibility.is_operator):
        raise PermissionDenied
    return render(
        request,
        "applications/template_list.html",
        {
            "page": paginate(
                request, selectors.templates_for(request.visibility.resolve()), per_page=50
            )
        },
    )


@login_required
def template_detail(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = visible_or_404(CallTemplate.objects.select_related("owner_bureau"), pk=template_pk)
    book = Book(template.definition)
    return render(
        request,
        "applications/template_detail.html",
        {
            "template": template,
            "sections": [
                (s.get("number", ""), localized(s, "title"), s["type"], s.get("source", ""))
                for s in book.sections
            ],
            "rules": [
                (localized(r, "message"), r.get("source", ""))
                for r in template.definition.get("rules", [])
            ],
            "can_clone": bool(request.visibility.bureau_ids_with({Role.BUREAU_ADMIN}))
            or request.visibility.is_operator,
            "can_edit": template.owner_bureau_id is not None
            and (
                request.visibility.is_operator
                or template.owner_bureau_id
                in request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
            ),
        },
    )


@login_required
@require_POST
def template_clone(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = visible_or_404(CallTemplate.objects.all(), pk=template_pk)
    bureau = Bureau.objects.filter(
        pk__in=request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ).first()
    if bureau is None:
        raise PermissionDenied
    clone = services.template_clone(
        visibility=request.visibility.resolve(),
        template=template,
        bureau=bureau,
        actor=request.user,
    )
    messages.success(
        request,
        _("A copy of the template was made for your bureau. Adjust it before using it in a call."),
    )
    return redirect("template-edit", template_pk=clone.pk)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_pk: int) -> HttpResponse:
    import json

    template = visible_or_404(CallTemplate.objects.select_related("owner_bureau"), pk=template_pk)
    if template.owner_bureau_id is None or not (
        request.visibility.is_operator
        or template.owner_bureau_id in request.visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ):
        raise PermissionDenied
    initial = {
        "name": template.name,
        "definition": json.dumps(template.definition, ensure_ascii=False, indent=2),
    }
    form = TemplateEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(
                visibility=request.visibility.resolve(),
                template=template,
                definition_text=form.cleaned_data["definition"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ValidationError as error:
            for field, errors in (
                error.message_dict.items()
                if hasattr(error, "error_dict")
                else [(None, error.messages)]
            ):
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("template-detail", template_pk=template.pk)
    return render(request, "applications/template_edit.html", {"form": form, "template": template})
