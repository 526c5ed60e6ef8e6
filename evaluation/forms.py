"""Forms of the expert pool page: they parse input; evaluation.experts decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import PersonForm


class ExpertAddForm(PersonForm):
    employer_name = forms.CharField(label=_("Employer"), max_length=200, required=False)
    employer_uscc = forms.CharField(
        label=_("Employer's unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("Used to keep experts from scoring their own employer's applications."),
    )
    specialty = forms.CharField(label=_("Specialty"), max_length=200, required=False)
