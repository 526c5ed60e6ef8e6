"""Benchmark titles after award: revocation for serious dishonesty (001 §四(五))."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal import workflow
from portal.models import User
from portal.visibility import Visibility

from ..models import BenchmarkTitle


@transaction.atomic
def benchmark_title_revoke(
    *, visibility: Visibility, title: BenchmarkTitle, reason: str, actor: User
) -> BenchmarkTitle:
    """The issuing bureau revokes a title once serious dishonesty is verified (001 §四(五):
    对存在严重失信行为的企业，经核实属实的撤销称号); final, with its reason on the record."""
    title = BenchmarkTitle.objects.select_for_update().get(pk=title.pk)
    if not visibility.works_for(title.bureau_id):
        raise PermissionDenied
    if title.status == BenchmarkTitle.Status.REVOKED:
        raise ValidationError(_("This title has already been revoked."), code="revoked")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the verified dishonesty behind the revocation.")})
    title.revocation_reason = reason.strip()
    workflow.transition(
        title,
        BenchmarkTitle.Status.REVOKED,
        actor=actor,
        action="benchmark_title_revoked",
        bureau=title.bureau,
        organization=title.organization,
        note=title.revocation_reason,
        fields=["revocation_reason"],
    )
    return title
