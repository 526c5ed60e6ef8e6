"""Programme funds (003 §四): the allocation, its two tranches, fund uses by category with the
80/20 split checked before a use is saved, and per-enterprise subsidies.

Amounts are ``Decimal`` in 万元 with at most two decimal places, never float.
"""

from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.models import Bureau, User
from portal.visibility import Visibility

from ..assessment import TARGET_LEVEL
from ..models import (
    EnterpriseSubsidy,
    FundTranche,
    FundUse,
    PilotEnterprise,
    PilotProgramme,
    ProgrammeFund,
)
from ..permissions import can_approve_programme, can_set_targets
from ..selectors import (
    CENT,
    FIRST_TRANCHE_SHARE,
    PLATFORMS_CEILING,
    counting_assessment,
    fund_split,
    passed_evaluation,
)

MAX_WAN = Decimal("9999999999.99")


def wan(value: Any, *, field: str = "amount_wan", allow_zero: bool = False) -> Decimal:
    """An amount in 万元: a decimal number, not negative, at most two decimal places."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field: _("Enter the amount as a number in 10k yuan, e.g. 12.50.")}
        ) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter the amount as a number in 10k yuan, e.g. 12.50.")})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: _("The amount must be greater than zero.")})
    if amount != amount.quantize(CENT):
        raise ValidationError(
            {field: _("Give the amount in 10k yuan with at most two decimal places.")}
        )
    if amount > MAX_WAN:
        raise ValidationError({field: _("The amount is too large.")})
    return amount.quantize(CENT)


def _share(value: Any, field: str) -> Decimal:
    share = wan(value, field=field)
    if share > 1:
        raise ValidationError({field: _("A share is at most 1 (100%).")})
    return share


@transaction.atomic
def fund_allocate(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    amount_wan: Any,
    tier: str = "",
    subsidy_share: Any = Decimal("0.30"),
    cap_general_wan: Any = Decimal("30"),
    cap_benchmark_wan: Any = Decimal("50"),
    actor: User,
) -> ProgrammeFund:
    """The approving bureau sets the allocation by tier (003 §四(一)1) and the subsidy rule
    (Jiangmen 2024 project-subsidy notice: 30% of the verified cost, capped 30万/50万)."""
    if not can_approve_programme(visibility, programme):
        raise PermissionDenied
    amount = wan(amount_wan)
    fund = ProgrammeFund.objects.select_for_update().filter(programme=programme).first()
    if fund is not None and fund.amount_wan != amount and programme.tranches.exists():
        raise ValidationError(
            {"amount_wan": _("The allocation is fixed once a tranche has been released.")}
        )
    fund = fund or ProgrammeFund(programme=programme)
    fund.amount_wan = amount
    fund.tier = tier.strip()
    fund.subsidy_share = _share(subsidy_share, "subsidy_share")
    fund.cap_general_wan = wan(cap_general_wan, field="cap_general_wan")
    fund.cap_benchmark_wan = wan(cap_benchmark_wan, field="cap_benchmark_wan")
    fund.full_clean()
    fund.save()
    audit.record_for(
        fund,
        action="programme_fund_allocated",
        actor=actor,
        bureau=programme.bureau,
        detail={"amount_wan": str(amount), "tier": fund.tier},
    )
    return fund


@transaction.atomic
def tranche_release(
    *, visibility: Visibility, programme: PilotProgramme, actor: User
) -> FundTranche:
    """Release the next tranche: 80% on approval, the rest only after a passed evaluation
    (003 §四(一)2: 先拨付80%的专项资金，待完成试点任务、通过绩效评价后拨付其余资金)."""
    programme = PilotProgramme.objects.select_for_update().get(pk=programme.pk)
    if not can_approve_programme(visibility, programme):
        raise PermissionDenied
    fund = ProgrammeFund.objects.filter(programme=programme).first()
    if fund is None:
        raise ValidationError(_("Set the allocation before releasing funds."), code="no_allocation")
    if programme.status != PilotProgramme.Status.APPROVED:
        raise ValidationError(
            _("No funds are released to a programme that is %(status)s.")
            % {"status": programme.get_status_display()},
            code="programme_penalised",
        )
    released = list(programme.tranches.all())
    evaluation = None
    if not released:
        number, amount = 1, (fund.amount_wan * FIRST_TRANCHE_SHARE).quantize(CENT)
    elif len(released) == 1:
        evaluation = passed_evaluation(programme)
        if evaluation is None:
            raise ValidationError(
                _(
                    "The rest of the funds is released only after a passed evaluation "
                    "(003 §四(一)2)."
                ),
                code="no_passed_evaluation",
            )
        number, amount = 2, fund.amount_wan - released[0].amount_wan
    else:
        raise ValidationError(_("The whole allocation has been released."), code="all_released")
    tranche = FundTranche(
        programme=programme,
        number=number,
        amount_wan=amount,
        evaluation=evaluation,
        released_by=actor,
        released_at=timezone.now(),
    )
    tranche.full_clean()
    tranche.save()
    audit.record_for(
        tranche,
        action="programme_tranche_released",
        actor=actor,
        bureau=programme.bureau,
        detail={"number": number, "amount_wan": str(amount)},
    )
    return tranche


def fund_use_check(programme: PilotProgramme, category: str, amount: Decimal) -> list[str]:
    """Why a use of ``amount`` in ``category`` may not be recorded (empty when it may): the money
    released so far, and platforms and services at most 20% of the allocation (003 §四(二))."""
    if category not in FundUse.Category.values:
        return [_("Choose a category from the list.")]
    split = fund_split(programme)
    after = split.with_use(category, amount)
    problems = []
    if after.spent > split.released:
        problems.append(
            _("Uses would reach %(spent)s万元, more than the %(released)s万元 released.")
            % {"spent": after.spent, "released": split.released}
        )
    if not after.platforms_ok:
        problems.append(
            _(
                "Platforms and services would take %(platforms)s万元, more than 20%% of the "
                "allocation (%(ceiling)s万元; 003 §四(二)). At most %(headroom)s万元 can still "
                "be used on them."
            )
            % {
                "platforms": after.platforms,
                "ceiling": split.platforms_ceiling,
                "headroom": split.platforms_headroom,
            }
        )
    return problems


def _use_create(
    *,
    programme: PilotProgramme,
    category: str,
    amount: Decimal,
    description: str,
    spent_on: date,
    actor: User,
) -> FundUse:
    # One use at a time per programme, so two clerks cannot both take the last headroom.
    PilotProgramme.objects.select_for_update().filter(pk=programme.pk).first()
    problems = fund_use_check(programme, category, amount)
    if problems:
        raise ValidationError(problems, code="fund_split")
    use = FundUse(
        programme=programme,
        category=category,
        amount_wan=amount,
        description=description.strip(),
        spent_on=spent_on,
        recorded_by=actor,
    )
    use.full_clean()
    use.save()
    audit.record_for(
        use,
        action="programme_fund_used",
        actor=actor,
        bureau=programme.bureau,
        detail={"category": category, "amount_wan": str(amount)},
    )
    return use


@transaction.atomic
def fund_use_record(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    category: str,
    amount_wan: Any,
    description: str,
    spent_on: date,
    actor: User,
) -> FundUse:
    """The running bureau records money spent; a use that breaks the split is refused."""
    if not can_set_targets(visibility, programme):
        raise PermissionDenied
    return _use_create(
        programme=programme,
        category=category,
        amount=wan(amount_wan),
        description=description,
        spent_on=spent_on,
        actor=actor,
    )


def subsidy_amount(fund: ProgrammeFund, project_class: str, verified_cost: Decimal) -> Decimal:
    """The configured share of the verified, tax-exclusive cost, capped per project class
    (Jiangmen 2024 project-subsidy notice), rounded down to the hundred yuan."""
    cap = (
        fund.cap_benchmark_wan
        if project_class == EnterpriseSubsidy.ProjectClass.BENCHMARK
        else fund.cap_general_wan
    )
    return min((verified_cost * fund.subsidy_share).quantize(CENT, rounding=ROUND_DOWN), cap)


@transaction.atomic
def subsidy_grant(
    *,
    visibility: Visibility,
    programme: PilotProgramme,
    enterprise: PilotEnterprise,
    project_class: str,
    verified_cost_wan: Any,
    special_funds: bool,
    actor: User,
) -> EnterpriseSubsidy:
    """Pay one enterprise its subsidy, recorded as a transformation use. Payable once its
    counting after-assessment is level 2 or above; refused when the project already has central
    or provincial special funds (001 §二(四): no double funding)."""
    if not can_set_targets(visibility, programme):
        raise PermissionDenied
    fund = ProgrammeFund.objects.filter(programme=programme).first()
    if fund is None:
        raise ValidationError(
            _("Set the allocation before paying subsidies."), code="no_allocation"
        )
    area = Bureau.objects.filter(path__startswith=programme.bureau.path)
    if not area.filter(pk=enterprise.bureau_id).exists():
        raise ValidationError({"enterprise": _("The enterprise is not in this programme's area.")})
    if project_class not in EnterpriseSubsidy.ProjectClass.values:
        raise ValidationError({"project_class": _("Choose a project class from the list.")})
    cost = wan(verified_cost_wan, field="verified_cost_wan")
    if special_funds:
        raise ValidationError(
            _(
                "The project already has central or provincial special funds; it cannot be "
                "subsidised again (001 §二(四))."
            ),
            code="double_funding",
        )
    assessment = counting_assessment(enterprise, "after")
    if assessment is None or assessment.level < TARGET_LEVEL:
        raise ValidationError(
            _(
                "A subsidy is paid once the after-transformation assessment confirms level "
                "%(level)d or above."
            )
            % {"level": TARGET_LEVEL},
            code="level_not_reached",
        )
    if EnterpriseSubsidy.objects.filter(programme=programme, enterprise=enterprise).exists():
        raise ValidationError(
            _("This enterprise has already been subsidised."), code="subsidy_repeated"
        )
    amount = subsidy_amount(fund, project_class, cost)
    use = _use_create(
        programme=programme,
        category=FundUse.Category.TRANSFORMATION,
        amount=amount,
        description=_("Subsidy to %(name)s") % {"name": enterprise.organization.name},
        spent_on=timezone.localdate(),
        actor=actor,
    )
    subsidy = EnterpriseSubsidy(
        use=use,
        programme=programme,
        enterprise=enterprise,
        project_class=project_class,
        verified_cost_wan=cost,
        level=assessment.level,
    )
    subsidy.full_clean()
    subsidy.save()
    audit.record_for(
        subsidy,
        action="programme_subsidy_granted",
        actor=actor,
        bureau=programme.bureau,
        organization=enterprise.organization,
        detail={"amount_wan": str(amount), "project_class": project_class},
    )
    return subsidy


__all__ = ["PLATFORMS_CEILING", "fund_allocate", "fund_use_record", "subsidy_grant"]
