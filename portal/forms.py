from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from . import uscc
from .models import Bureau, Organization, Role
from .services import PROFILE_FIELDS


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The user name or password is wrong. After %(limit)s failed attempts the account is locked for a while."
        ),
        "inactive": _("This account is disabled."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("User name")
        # AuthenticationForm sets max_length after construction, so no validator enforces it;
        # an over-long name must be refused here, before it reaches authentication and Axes.
        self.fields["username"].validators.append(MaxLengthValidator(150))
        self.fields["password"].label = _("Password")

    def get_invalid_login_error(self):
        from django.conf import settings
        from django.core.exceptions import ValidationError

        return ValidationError(
            self.error_messages["invalid_login"] % {"limit": settings.AXES_FAILURE_LIMIT},
            code="invalid_login",
        )


class RegistrationForm(forms.Form):
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence."),
    )
    name = forms.CharField(label=_("Organization name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organization.Kind.choices)
    home_bureau = forms.ModelChoiceField(
        label=_("Competent bureau"),
        queryset=Bureau.objects.none(),
        required=False,
        empty_label=_("Determine from the code"),
        help_text=_("Leave as it is unless your organization is managed by another bureau."),
    )
    full_name = forms.CharField(label=_("Your full name"), max_length=100)
    phone = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^1[3-9]\d{9}$",
        error_messages={"invalid": _("Enter an 11-digit mainland mobile number.")},
    )
    email = forms.EmailField(label=_("Email"), required=False)
    username = forms.CharField(label=_("User name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_bureau"].queryset = Bureau.objects.filter(
            department=Bureau.Department.INDUSTRY
        ).exclude(level=Bureau.Level.PROVINCE)
        self.fields["password1"].help_text = " ".join(password_validators_help_texts())

    def clean_uscc(self):
        # Checked here too, so the applicant sees every problem at once.
        return uscc.validate(self.cleaned_data["uscc"])

    def clean(self):
        data = super().clean()
        if (
            data.get("password1")
            and data.get("password2")
            and data["password1"] != data["password2"]
        ):
            self.add_error("password2", _("The two passwords differ."))
        return data


class OrganizationProfileForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(PROFILE_FIELDS)


class PersonForm(forms.Form):
    """Someone to add: an existing account by user name, email or mobile phone, or a new one."""

    identifier = forms.CharField(
        label=_("Existing account: user name, email or mobile phone"),
        max_length=150,
        required=False,
    )
    username = forms.CharField(label=_("New account: user name"), max_length=150, required=False)
    full_name = forms.CharField(label=_("Full name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class MemberAddForm(PersonForm):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.ORG_MEMBER, Role.ORG_MEMBER.label), (Role.ORG_ADMIN, Role.ORG_ADMIN.label)],
        initial=Role.ORG_MEMBER,
    )
