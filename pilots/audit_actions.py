"""What the audit page calls this app's actions (codes are stable; labels are translations)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import audit

from .models import EnrolmentRequest


def register() -> None:
    audit.register_actions(
        {
            "enterprises_imported": _("pilot enterprises imported"),
            "leading_unit_extended": _("leading unit extended to more sub-industries"),
            "enterprise_enrolled": _("pilot enterprise enrolled"),
            "enterprise_contracted": _("pilot enterprise contracted"),
            "enrolment_requested": _("enrolment requested"),
            **{
                f"enrolment_request_{code}": format_lazy("{}: {}", _("enrolment request"), label)
                for code, label in EnrolmentRequest.Status.choices
            },
            "assessment_saved": _("assessment saved"),
            "task_book_created": _("task book created"),
            "task_book_signed": _("task book signed by a party"),
            "task_book_signed_by_all": _("task book signed by all parties"),
            "transformation_completed": _("transformation completed"),
            "acceptance_applied": _("acceptance applied for"),
            "acceptance_decided": _("acceptance decided"),
            "contract_saved": _("contract saved"),
            "contract_signed": _("contract signed"),
            "alliance_change_filed": _("alliance change filed"),
            "alliance_change_reviewed": _("alliance change reviewed"),
            "alliance_change_published": _("alliance change published"),
            "provider_added": _("service provider added"),
            "product_added": _("product added"),
            "demand_list_created": _("demand list created"),
            "demand_row_added": _("demand row added"),
            "demand_row_deleted": _("demand row deleted"),
            "programme_approved": _("pilot programme approved with the plan's targets"),
            "programme_target_set": _("programme target set"),
            "programme_updated": _("programme updated"),
            "programme_evaluated": _("programme evaluation recorded"),
            "programme_rectification_reported": _("programme rectification reported"),
            "programme_penalised": _("programme suspended or funds clawed back"),
            "programme_change_requested": _("programme change requested"),
            "programme_change_decided": _("programme change decided"),
            "programme_fund_allocated": _("funds allocated"),
            "programme_tranche_released": _("tranche released"),
            "programme_fund_used": _("fund use recorded"),
            "programme_subsidy_granted": _("enterprise subsidy granted"),
            "benchmark_title_revoked": _("benchmark title revoked"),
            "leading_unit_relocation_requested": _("move to a local legal entity requested"),
            "leading_unit_relocation_decided": _("move to a local legal entity decided"),
        }
    )
