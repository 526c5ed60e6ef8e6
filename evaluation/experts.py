"""A bureau's expert pool: the people its staff may assign to review rounds, with their
employers (for the conflict check). Pool membership is the core's (``portal.members``); the
employer and specialty are this app's ``ExpertProfile``."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import imports, members, uscc
from portal.import_resources import target_bureau
from portal.models import Bureau, Membership, Role, User
from portal.visibility import Visibility

from .models import ExpertProfile


def pool(bureau: Bureau) -> QuerySet[Membership]:
    """The bureau's pool as its staff see it (scoped), with each expert's profile."""
    return (
        Membership.objects.filter(bureau=bureau, role=Role.EXPERT)
        .select_related("user", "user__expert_profile")
        .order_by("user__full_name", "user__username", "pk")
    )


def _clean_employer_code(code: str) -> str:
    if not code.strip():
        return ""
    try:
        return uscc.validate(code)
    except ValidationError as error:
        raise ValidationError({"employer_uscc": error.messages}) from error


def profile_fill(user: User, *, employer_name: str, employer_uscc: str, specialty: str) -> None:
    """Record what is given of the expert's employer and specialty; blanks keep what is known."""
    # One profile per person across pools, as the conflict check reads it.
    profile = ExpertProfile._base_manager.filter(user=user).first() or ExpertProfile(user=user)
    for name, value in (
        ("employer_name", employer_name.strip()[:200]),
        ("employer_uscc", employer_uscc),
        ("specialty", specialty.strip()[:200]),
    ):
        if value:
            setattr(profile, name, value)
    profile.save()


@transaction.atomic
def expert_add(
    *,
    visibility: Visibility,
    bureau: Bureau,
    actor: User,
    identifier: str = "",
    username: str = "",
    full_name: str = "",
    phone: str = "",
    email: str = "",
    employer_name: str = "",
    employer_uscc: str = "",
    specialty: str = "",
) -> tuple[Membership, str]:
    """Put a person in the bureau's pool (an existing account or a new one with a one-time
    password, returned to be shown once) and record their employer for the conflict check."""
    members.require_pool_keeper(visibility, bureau)
    code = _clean_employer_code(employer_uscc)
    membership, password = members.expert_pool_add(
        visibility=visibility,
        bureau=bureau,
        actor=actor,
        identifier=identifier,
        username=username,
        full_name=full_name,
        phone=phone,
        email=email,
    )
    profile_fill(
        membership.user, employer_name=employer_name, employer_uscc=code, specialty=specialty
    )
    return membership, password


class ExpertResource(imports.ImportResource):
    """Experts by user name: an existing account joins the pool; a new one is created with a
    one-time password, shown once after the import."""

    columns = {
        "username": "用户名",
        "name": "姓名",
        "phone": "手机号码",
        "email": "电子邮箱",
        "employer_name": "工作单位",
        "employer_uscc": "工作单位统一社会信用代码",
        "specialty": "专业领域",
        "bureau": "主管部门行政区划代码",
    }
    required = ("username",)
    code_key = "username"

    class Meta(imports.ImportResource.Meta):
        model = ExpertProfile

    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        try:
            row["_employer_uscc"] = _clean_employer_code(self.value(row, "employer_uscc"))
        except ValidationError as error:
            errors[self.columns["employer_uscc"]] = " ".join(error.message_dict["employer_uscc"])
        row["_bureau"] = target_bureau(self, row, errors)
        user = User.objects.filter(username=self.value(row, "username")).first()
        if user is not None and not user.is_active:
            errors[self.columns["username"]] = _("This account is disabled.")
        elif user is None and not self.value(row, "name"):
            errors[self.columns["name"]] = _("A new account needs the person's full name.")
        elif user is None and not (self.value(row, "phone") or self.value(row, "email")):
            errors[self.columns["phone"]] = _(
                "Enter a mobile phone number or an email address to reach them."
            )
        row["_user"] = user

    def get_instance(self, instance_loader: Any, row: Any) -> ExpertProfile | None:
        user = row.get("_user")
        if user is None or row.get("_errors"):
            return None
        # One profile per person across pools (as the conflict check reads it): found, never
        # duplicated; a bureau sees it once the person is in its pool.
        return ExpertProfile._base_manager.filter(user=user).first()

    def fill(self, instance: ExpertProfile, row: Any) -> None:
        for key in ("employer_name", "specialty"):
            value = self.value(row, key)[:200]
            if value:
                setattr(instance, key, value)
        if row["_employer_uscc"]:
            instance.employer_uscc = row["_employer_uscc"]

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        # The row's own checks decide; the model is not cleaned, as its user is attached on save.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def before_save_instance(self, instance: ExpertProfile, row: Any, **kwargs: Any) -> None:
        user = row["_user"]
        if user is None:
            user, password = members.account_create(
                username=self.value(row, "username"),
                full_name=self.value(row, "name"),
                phone=self.value(row, "phone"),
                email=self.value(row, "email"),
            )
            self.accounts.append((user.username, password))
        instance.user = user

    def after_save_instance(self, instance: ExpertProfile, row: Any, **kwargs: Any) -> None:
        Membership.objects.get_or_create(
            user=instance.user, role=Role.EXPERT, bureau=row["_bureau"]
        )


@imports.register
class ExpertImporter(imports.Importer):
    identifier = "experts"
    verbose_name = gettext_lazy("Experts")
    resource = ExpertResource
    help_text = gettext_lazy(
        "Experts for your bureau's pool by user name. An existing account joins the pool; a new "
        "one is created with a one-time password, shown once after the import, which the expert "
        "changes at first login."
    )


def profile_rows(user: Any) -> list[tuple[Any, Any]]:
    """An expert's own profile, for the "what the portal holds about me" page."""
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None:
        return []
    return [
        (_("Employer"), profile.employer_name),
        (_("Employer's unified social credit code"), profile.employer_uscc),
        (_("Specialty"), profile.specialty),
    ]
