"""Forms of the pilot pages: they parse and check input; the services decide."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from portal.templatetags.portal_tags import join_list

from .models import (
    Contract,
    DemandRow,
    EnterpriseSubsidy,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    Product,
    ProgrammeChange,
    ProgrammeEvaluation,
    ProgrammeTarget,
    ServiceProvider,
)
from .services.enrolment import EnrolmentData, above_scale_code, scale_code, tier_code


class TaskBookForm(forms.Form):
    """The parts of the task book that are the parties' own (002 附3); its fixed clauses are the
    seed's text (pilots/shipped/task_book_2025.json)."""

    project_name = forms.CharField(label=gettext_lazy("Project name"), max_length=200)
    goals = forms.CharField(
        label=gettext_lazy("Transformation goals"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    performance_goals = forms.CharField(
        label=gettext_lazy("Performance goals"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    content = forms.CharField(
        label=gettext_lazy("Transformation content"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    schedule = forms.CharField(
        label=gettext_lazy("Schedule (one line each: period | work | investment in 10k yuan)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    budget_wan = forms.DecimalField(
        label=gettext_lazy("Total budget (10k yuan)"), max_digits=12, decimal_places=4, min_value=0
    )
    bank_account_name = forms.CharField(
        label=gettext_lazy("Party B's account name"), max_length=200
    )
    bank_name = forms.CharField(label=gettext_lazy("Party B's bank"), max_length=200)
    bank_account_number = forms.CharField(
        label=gettext_lazy("Party B's account number"), max_length=40
    )
    obligations = forms.CharField(
        label=gettext_lazy("Additional clauses agreed by the three parties (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        required=False,
    )

    def clean_schedule(self) -> list[dict[str, str]]:
        rows = []
        for number, line in enumerate(
            (line for line in self.cleaned_data["schedule"].splitlines() if line.strip()), 1
        ):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3 or not parts[0] or not parts[1]:
                raise forms.ValidationError(
                    gettext_lazy(
                        "Line %(number)d: write the period, the work and the investment,"
                        " separated by “|”."
                    ),
                    params={"number": number},
                )
            try:
                investment = Decimal(parts[2].replace(",", ""))
            except InvalidOperation:
                investment = Decimal(-1)
            if not investment.is_finite() or investment < 0 or investment >= 10**8:
                raise forms.ValidationError(
                    gettext_lazy(
                        "Line %(number)d: the investment must be an amount in 10k yuan, such as"
                        " 12.5."
                    ),
                    params={"number": number},
                )
            rows.append({"period": parts[0], "work": parts[1], "investment": str(investment)})
        return rows


def _above_choice(word: str) -> str | None:
    if word in ("1", "0"):
        return word
    above = above_scale_code(word)
    return None if above is None else ("1" if above else "0")


class _CodeChoiceField(forms.TypedChoiceField):
    """A choice of codes that also takes the official word for one (the enrolment sheet's)."""

    def __init__(self, *, to_code: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.to_code = to_code

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        return self.to_code(value) or value


class EnrolForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Enterprise"), max_length=200)
    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=40)
    sub_industry = forms.CharField(label=gettext_lazy("Sub-industry"), max_length=100)
    # Codes with translated labels; the sheet's words (小型, 规上, 专精特新…) are accepted too.
    scale = _CodeChoiceField(
        label=gettext_lazy("Size"), choices=PilotEnterprise.Scale.choices, to_code=scale_code
    )
    above_scale = _CodeChoiceField(
        label=gettext_lazy("Above designated size"),
        choices=[
            ("1", gettext_lazy("above designated size (规上)")),
            ("0", gettext_lazy("below designated size (规下)")),
        ],
        to_code=_above_choice,
        coerce=lambda code: code == "1",
    )
    tier = _CodeChoiceField(
        label=gettext_lazy("Tier"), choices=PilotEnterprise.Tier.choices, to_code=tier_code
    )
    revenue = forms.DecimalField(
        label=gettext_lazy("Last year's revenue (10k yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
    )
    profit = forms.DecimalField(
        label=gettext_lazy("Last year's profit (10k yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
    )

    def enrolment_data(self) -> EnrolmentData:
        data = self.cleaned_data
        return EnrolmentData(
            name=data["name"],
            uscc=data["uscc"],
            sub_industry=data["sub_industry"],
            scale=data["scale"],
            above_scale=data["above_scale"],
            tier=data["tier"],
            revenue=data["revenue"],
            profit=data["profit"],
        )


class ProviderForm(forms.ModelForm):
    bureau = forms.TypedChoiceField(label=gettext_lazy("Bureau"), coerce=int)

    class Meta:
        model = ServiceProvider
        fields = ["name", "uscc", "capability", "field", "contact"]

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [(b.pk, b.name) for b in bureaus]
        self.order_fields(["bureau"])


class ProductForm(forms.ModelForm):
    # Queryset set per request: the scoped manager may not be queried at import.
    provider = forms.ModelChoiceField(label=gettext_lazy("Provider"), queryset=None)

    class Meta:
        model = Product
        fields = ["provider", "name", "summary", "direction", "stage", "price_wan", "own_ip"]

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only providers on a list the viewer keeps; anything else is "not a valid choice".
        self.fields["provider"].queryset = ServiceProvider.objects.filter(
            bureau_id__in=[b.pk for b in bureaus]
        )


class TargetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    metric = forms.ChoiceField(
        label=gettext_lazy("Indicator"), choices=ProgrammeTarget.Metric.choices
    )
    value = forms.IntegerField(label=gettext_lazy("Target"), min_value=0, max_value=1_000_000)


class ProgrammeForm(forms.Form):
    starts_on = forms.DateField(
        label=gettext_lazy("Period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Period ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sub_industries = forms.CharField(
        label=gettext_lazy("Sub-industries"),
        help_text=gettext_lazy("One per line."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ChooseForm(forms.Form):
    leading_unit = forms.TypedChoiceField(label=gettext_lazy("Leading unit"), coerce=int)
    sub_industry = EnrolForm.base_fields["sub_industry"]
    scale = EnrolForm.base_fields["scale"]
    above_scale = EnrolForm.base_fields["above_scale"]
    tier = EnrolForm.base_fields["tier"]
    revenue = EnrolForm.base_fields["revenue"]
    profit = EnrolForm.base_fields["profit"]
    needs = forms.CharField(
        label=gettext_lazy("What you want to change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, units: list[LeadingUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leading_unit"].choices = [
            (u.pk, f"{u.organization.name}（{join_list(u.sub_industries)}）") for u in units
        ]


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["duties", "measures", "targets", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "duties": forms.Textarea(attrs={"rows": 4}),
            "measures": forms.Textarea(attrs={"rows": 4}),
            "targets": forms.Textarea(attrs={"rows": 3}),
        }


class ContractItemForm(forms.Form):
    product = forms.CharField(label=gettext_lazy("Product or service"), max_length=200)
    provider = forms.CharField(label=gettext_lazy("Provider"), max_length=200)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=100_000)
    unit_price_wan = forms.DecimalField(
        label=gettext_lazy("Unit price (10k yuan)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )


class DemandListForm(forms.Form):
    bureau = forms.TypedChoiceField(label=gettext_lazy("Bureau"), coerce=int)
    sub_industry = forms.CharField(label=gettext_lazy("Sub-industry"), max_length=100)

    def __init__(self, *args: Any, bureaus: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bureau"].choices = [(b.pk, b.name) for b in bureaus]


class DemandRowForm(forms.ModelForm):
    product = forms.ModelChoiceField(
        label=gettext_lazy("Adapted product"), queryset=None, required=False
    )

    class Meta:
        model = DemandRow
        fields = ["direction", "problem", "need", "scenario", "budget_wan", "product"]
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 2}),
            "need": forms.Textarea(attrs={"rows": 2}),
            "scenario": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, bureau_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(
            provider__bureau_id=bureau_id
        ).select_related("provider")


ContractItemFormSet = forms.formset_factory(
    ContractItemForm, extra=3, max_num=50, validate_max=True, absolute_max=60
)


# --- programme evaluations and funds (issue 11) ----------------------------------------------------
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
WAN_INPUT = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def wan_field(label: Any, **kwargs: Any) -> forms.CharField:
    """An amount in 万元 as typed; the service says what is wrong with it (sign, precision)."""
    return forms.CharField(label=label, max_length=20, widget=WAN_INPUT, **kwargs)


class EvaluationForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Evaluation"))
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=ProgrammeEvaluation.Outcome.choices
    )
    findings = forms.CharField(
        label=gettext_lazy("Findings"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ProgrammeEvaluation.Kind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in kinds]


class RectificationForm(forms.Form):
    evaluation = forms.IntegerField(widget=forms.HiddenInput)
    report = forms.CharField(
        label=gettext_lazy("What was rectified"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ChangeRequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Change"), choices=ProgrammeChange.Kind.choices)
    summary = forms.CharField(
        label=gettext_lazy("What changes"),
        help_text=gettext_lazy(
            "The province approves changes to an approved plan (003 §六(三)); the city files "
            "changes to a county's list of pilot enterprises (002 §二.1)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, county: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not county:
            self.fields["kind"].choices = [ProgrammeChange.Kind.choices[0]]


class ChangeDecisionForm(forms.Form):
    change = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )
    note = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000)


class AllocationForm(forms.Form):
    amount_wan = wan_field(gettext_lazy("Allocation (10k yuan)"))
    tier = forms.CharField(label=gettext_lazy("Tier"), required=False, max_length=50)
    subsidy_share = forms.CharField(
        label=gettext_lazy("Subsidy share of the verified cost"),
        help_text=gettext_lazy("0.30 pays 30% (Jiangmen 2024 project-subsidy notice)."),
        max_length=6,
        initial="0.30",
    )
    cap_general_wan = wan_field(gettext_lazy("Cap for a general project (10k yuan)"), initial="30")
    cap_benchmark_wan = wan_field(
        gettext_lazy("Cap for a benchmark project (10k yuan)"), initial="50"
    )


class FundUseForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=FundUse.Category.choices)
    amount_wan = wan_field(gettext_lazy("Amount (10k yuan)"))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300)
    spent_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE_INPUT)


class SubsidyForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("Pilot enterprise"), queryset=PilotEnterprise.objects.none()
    )
    project_class = forms.ChoiceField(
        label=gettext_lazy("Project class"), choices=EnterpriseSubsidy.ProjectClass.choices
    )
    verified_cost_wan = wan_field(gettext_lazy("Verified cost excluding tax (10k yuan)"))
    special_funds = forms.BooleanField(
        label=gettext_lazy("The project has central or provincial special funds"),
        help_text=gettext_lazy("Such a project is not subsidised again (001 §二(四))."),
        required=False,
    )

    def __init__(self, *args: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = enterprises
        field.label_from_instance = lambda e: e.organization.name
