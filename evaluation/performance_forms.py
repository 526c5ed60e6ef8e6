"""Forms of the leading-unit performance pages: they parse input; evaluation.performance decides."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from portal.book import localized

from .models import Sanction

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ReportForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput)
    quarter = forms.IntegerField(widget=forms.HiddenInput)
    contracts_signed = forms.IntegerField(label=gettext_lazy("Contracts signed"), min_value=0)
    in_transformation = forms.IntegerField(
        label=gettext_lazy("Enterprises in transformation"), min_value=0
    )
    completed = forms.IntegerField(label=gettext_lazy("Enterprises completed"), min_value=0)
    solutions = forms.IntegerField(label=gettext_lazy("Solutions built"), min_value=0)
    duties_done = forms.CharField(
        label=gettext_lazy("Duties done this quarter"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    evidence = forms.FileField(label=gettext_lazy("Evidence (PDF)"))


class EvaluationForm(forms.Form):
    """One score field per indicator of the set, pre-filled with the portal's suggestions."""

    absent = forms.BooleanField(
        label=gettext_lazy("The unit did not take part in this evaluation (004 §4.4.2)"),
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the result"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(
        self, *args: Any, indicators: list[dict[str, Any]], suggested: dict[str, Decimal], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        for indicator in indicators:
            self.fields[f"score_{indicator['key']}"] = forms.CharField(
                label=gettext("%(label)s (0–%(max)s)")
                % {"label": localized(indicator), "max": indicator["max"]},
                help_text=localized(indicator, "guidance"),
                required=False,
                initial=suggested.get(indicator["key"], ""),
                max_length=8,
            )
        self.indicator_keys = [indicator["key"] for indicator in indicators]

    def scores(self) -> dict[str, str]:
        return {key: self.data.get(f"score_{key}", "") for key in self.indicator_keys}


class CriticismForm(forms.Form):
    grounds = forms.ChoiceField(
        label=gettext_lazy("Grounds"),
        choices=[(g, Sanction.Grounds(g).label) for g in Sanction.CRITICISM_GROUNDS],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason and rectification required"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    rectify_by = forms.DateField(label=gettext_lazy("Rectify by"), widget=DATE_WIDGET)
    evidence = forms.FileField(label=gettext_lazy("Evidence (PDF, optional)"), required=False)


class RemovalForm(forms.Form):
    grounds = forms.ChoiceField(
        label=gettext_lazy("Grounds"),
        choices=[(g, Sanction.Grounds(g).label) for g in Sanction.MANUAL_REMOVAL_GROUNDS],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    evidence = forms.FileField(label=gettext_lazy("Evidence (PDF)"))


class DecisionForm(forms.Form):
    sanction = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=pgettext_lazy("sanction", "Decision"), max_length=5000)
    rectify_by = forms.DateField(
        label=gettext_lazy("New rectification date"), required=False, widget=DATE_WIDGET
    )


class TaskBookForm(forms.Form):
    duties = forms.CharField(
        label=gettext_lazy("Key performance duties"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )

    def targets(self) -> list[dict[str, Any]]:
        """Rows posted as sub_industry / enterprises / above_scale / level_two lists."""
        columns = ("sub_industry", "enterprises", "above_scale", "level_two")
        lists = {c: self.data.getlist(c) for c in columns}
        return [
            {c: lists[c][i] if i < len(lists[c]) else "" for c in columns}
            for i in range(len(lists["sub_industry"]))
        ]


class RatingForm(forms.Form):
    enterprise = forms.IntegerField(widget=forms.HiddenInput)
    provider = forms.IntegerField(required=False, widget=forms.HiddenInput)
    score = forms.TypedChoiceField(
        label=gettext_lazy("Satisfaction"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000)
