from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from .models import Call, CallTemplate
from .services import CALL_FIELDS


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CallForm(forms.ModelForm):
    sub_industries = forms.CharField(
        label=_("Sub-industries"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, e.g. 五金制品及零配件."),
    )

    class Meta:
        model = Call
        fields = list(CALL_FIELDS)
        # The template queryset is set per request (inside the user's scope), not at import.
        field_classes = {"template": SafeModelChoiceField}
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 5}),
            "eligibility": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = (
            templates if templates is not None else CallTemplate.objects.none()
        )
        if self.instance.pk:
            self.initial["sub_industries"] = "\n".join(self.instance.sub_industries or [])
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S",
            ]

    def clean_sub_industries(self):
        lines = [
            line.strip()
            for line in self.cleaned_data["sub_industries"].splitlines()
            if line.strip()
        ]
        if len(lines) != len(set(lines)):
            raise forms.ValidationError(_("A sub-industry is listed twice."))
        if any(len(line) > 100 or "|" in line for line in lines):
            raise forms.ValidationError(
                _("Each sub-industry is at most 100 characters, without “|”.")
            )
        return lines

    def clean(self):
        data = super().clean()
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The call must close after it opens."))
        return data


class TemplateEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
        max_length=500_000,
    )


class CorrectionForm(forms.Form):
    items = forms.CharField(
        label=_("What to correct"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    deadline = forms.DateTimeField(
        label=_("Correction deadline"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class RecommendationForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("recommend", _("Recommend")), ("reject", _("Do not recommend"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
