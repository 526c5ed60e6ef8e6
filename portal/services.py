"""Write use cases of the portal core. Keyword-only, typed; each checks permission, validates,
saves and records the audit event. Services never see the request."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import audit, uscc
from .models import AuditEvent, Bureau, Membership, Organization, ReminderPolicy, Role, User
from .visibility import Visibility


def bureau_create(
    *,
    division_code: str,
    level: str,
    name: str,
    region_name: str,
    parent: Bureau | None = None,
    department: str = Bureau.Department.INDUSTRY,
) -> Bureau:
    bureau = Bureau(
        division_code=division_code,
        level=level,
        name=name,
        region_name=region_name,
        parent=parent,
        department=department,
        path="-",
    )
    bureau.full_clean(exclude=["path"])
    with transaction.atomic():
        bureau.save()
        bureau.path = f"{parent.path if parent else '/'}{bureau.pk}/"
        bureau.save(update_fields=["path"])
    return bureau


def membership_grant(
    *,
    user: User,
    role: str,
    bureau: Bureau | None = None,
    organization: Organization | None = None,
) -> Membership:
    membership = Membership(user=user, role=role, bureau=bureau, organization=organization)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    membership.save()
    audit.record(
        action="membership_granted",
        outcome=AuditEvent.Outcome.SUCCESS,
        bureau=bureau,
        organization=organization,
        object_type="portal.membership",
        object_id=str(membership.pk),
        detail={"user": user.username, "role": role},
    )
    return membership


def resolve_home_bureau(code: str) -> Bureau:
    """The industry bureau of the division where the organization is registered (USCC 3–8)."""
    division = uscc.division_code(code)
    candidates = [division, division[:4] + "00", division[:2] + "0000"]
    found = {
        b.division_code: b
        for b in Bureau.objects.filter(
            division_code__in=candidates, department=Bureau.Department.INDUSTRY
        )
    }
    for candidate in candidates:
        if candidate in found:
            return found[candidate]
    raise ValidationError(
        {
            "uscc": _("No bureau on this portal covers the region of this code (%(division)s) yet.")
            % {"division": division}
        }
    )


def organization_record(*, uscc_code: str, name: str) -> Organization:
    """The organization with this code, recorded (without users) when the portal does not know it
    yet: a leading unit enrolling an enterprise names it before the enterprise registers. It can
    register later under the same code and is then found, not duplicated."""
    code = uscc.validate(uscc_code)
    # Matched by its code across tenants (the code is unique portal-wide); nothing of an existing
    # organization is shown to the caller beyond the code it already holds.
    existing = Organization._base_manager.filter(uscc=code).first()
    if existing is not None:
        return existing
    organization = Organization(uscc=code, name=name[:200], home_bureau=resolve_home_bureau(code))
    organization.full_clean(exclude=["uscc", "kind"])
    organization.save()
    audit.record_for(
        organization,
        action="organization_recorded",
        actor=None,
        bureau=organization.home_bureau,
        organization=organization,
    )
    return organization


def organization_register(
    *,
    uscc_code: str,
    name: str,
    kind: str,
    username: str,
    password: str,
    full_name: str,
    phone: str,
    email: str = "",
    home_bureau: Bureau | None = None,
) -> tuple[Organization, User]:
    """An enterprise registers itself and its first user, who becomes the organization's admin."""
    try:
        code = uscc.validate(uscc_code)
    except ValidationError as error:
        raise ValidationError({"uscc": error.messages}) from error
    if home_bureau is None:
        home_bureau = resolve_home_bureau(code)
    elif (
        home_bureau.department != Bureau.Department.INDUSTRY
        or home_bureau.level == Bureau.Level.PROVINCE
    ):
        raise ValidationError({"home_bureau": _("Choose a city or county industry bureau.")})

    user = User(username=username, full_name=full_name, phone=phone, email=email)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    organization = Organization(
        uscc=code,
        name=name,
        kind=kind,
        home_bureau=home_bureau,
        contact_name=full_name,
        contact_phone=phone,
        contact_email=email,
    )
    try:
        organization.full_clean(exclude=["uscc"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            organization.save()
    except IntegrityError as error:
        # The USCC is unique across all tenants; the constraint decides, not a scoped lookup.
        raise ValidationError(
            {
                "uscc": _(
                    "This code is already registered. Ask your organization's administrator to add you as a user."
                )
            }
        ) from error
    membership_grant(user=user, role=Role.ORG_ADMIN, organization=organization)
    audit.record(
        action="organization_registered",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=user.pk,
        username=user.username,
        organization=organization,
        bureau=home_bureau,
        object_type="portal.organization",
        object_id=str(organization.pk),
    )
    return organization, user


PROFILE_FIELDS = (
    "name",
    "address",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def organization_update_profile(
    *, visibility: Visibility, organization: Organization, **changes: str
) -> Organization:
    if not (visibility.is_operator or organization.pk in visibility.admin_organization_ids):
        raise PermissionDenied
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    before = {name: getattr(organization, name) for name in changes}
    for name, value in changes.items():
        setattr(organization, name, value)
    organization.full_clean(validate_unique=False)
    changed = [name for name in changes if before[name] != changes[name]]
    if changed:
        organization.save(update_fields=[*changed, "updated_at"])
        audit.record(
            action="organization_updated",
            outcome=AuditEvent.Outcome.SUCCESS,
            organization=organization,
            bureau=organization.home_bureau,
            object_type="portal.organization",
            object_id=str(organization.pk),
            detail={"fields": changed},
        )
    return organization


def notification_preferences_set(*, user: User, email_kinds: set[str]) -> None:
    """Email for the kinds in ``email_kinds``, inbox only for the others."""
    from . import deadlines
    from .models import NotificationPreference

    for kind in deadlines.KINDS:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in email_kinds}
        )


def reminder_policy_set(
    *,
    visibility: Visibility,
    bureau: Bureau | None,
    kind: str,
    offsets_text: str,
    working_days: bool,
) -> "ReminderPolicy":
    """A bureau admin sets when its deadlines of ``kind`` remind (empty: back to the default)."""
    from . import deadlines

    if kind not in deadlines.KINDS:
        raise ValidationError(_("Unknown kind of deadline."))
    if bureau is None and not visibility.is_operator:
        raise PermissionDenied
    if bureau is not None and not (
        visibility.is_operator or bureau.pk in visibility.bureau_ids_with({Role.BUREAU_ADMIN})
    ):
        raise PermissionDenied
    parts = [p.strip() for p in offsets_text.replace("，", ",").split(",") if p.strip()]
    try:
        offsets = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        raise ValidationError(
            _("Enter whole numbers of days separated by commas, e.g. 7, 3, 1, 0, -1.")
        ) from None
    if any(not -30 <= o <= 60 for o in offsets) or len(offsets) > 10:
        raise ValidationError(
            _("At most 10 reminders, from 60 days before to 30 days after the deadline.")
        )
    # The deadlines this policy governs are planned again at the next tick with the new offsets.
    deadlines.replan(kind=kind, bureau=bureau)
    if not offsets:
        ReminderPolicy.objects.filter(kind=kind, bureau=bureau).delete()
        return ReminderPolicy(
            kind=kind, bureau=bureau, offsets=list(deadlines.KINDS[kind].default_offsets)
        )
    policy, _created = ReminderPolicy.objects.update_or_create(
        kind=kind, bureau=bureau, defaults={"offsets": offsets, "working_days": working_days}
    )
    audit.record(
        action="reminder_policy_set",
        outcome=AuditEvent.Outcome.SUCCESS,
        bureau=bureau,
        object_type="portal.reminderpolicy",
        object_id=str(policy.pk),
        detail={"kind": kind, "offsets": offsets},
    )
    return policy


SEAL_MAX_BYTES = 2 * 1024 * 1024


def _check_seal(upload: Any) -> None:
    """A PNG with a transparent background (checked), so the portal prints the real seal and
    never draws one."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > SEAL_MAX_BYTES:
        raise ValidationError(_("The seal image is larger than 2 MB."))
    try:
        with Image.open(upload) as image:
            image.load()
            if image.format != "PNG":
                raise ValidationError(_("The seal must be a PNG file."))
            if not (200 <= min(image.size) and max(image.size) <= 4000):
                raise ValidationError(
                    _("The seal image must be between 200 and 4000 pixels wide and high.")
                )
            alpha = image.convert("RGBA").getchannel("A")
            low, _high = alpha.getextrema()
            if low == 255:
                raise ValidationError(
                    _(
                        "The seal needs a transparent background: save it as a PNG with transparency."
                    )
                )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(_("The file is not a readable PNG image.")) from error
    upload.seek(0)


def _replace_seal(owner: Organization | Bureau, upload: Any, fields: list[str]) -> None:
    old = owner.seal.name if owner.seal else ""
    owner.seal.save("seal.png", upload, save=False)
    owner.save(update_fields=fields)
    if old:
        owner.seal.storage.delete(old)


def organization_seal_set(
    *, visibility: Visibility, organization: Organization, upload: Any
) -> Organization:
    """An organization admin uploads its seal (checked by :func:`_check_seal`)."""
    if not (visibility.is_operator or organization.pk in visibility.admin_organization_ids):
        raise PermissionDenied
    _check_seal(upload)
    _replace_seal(organization, upload, ["seal", "updated_at"])
    audit.record_for(
        organization,
        action="seal_uploaded",
        actor=None,
        bureau=organization.home_bureau,
        organization=organization,
    )
    return organization


def bureau_seal_set(*, visibility: Visibility, bureau: Bureau, upload: Any) -> Bureau:
    """A bureau admin uploads the bureau's seal, printed on the rankings and notices it issues."""
    if not (visibility.is_operator or bureau.pk in visibility.bureau_ids_with({Role.BUREAU_ADMIN})):
        raise PermissionDenied
    _check_seal(upload)
    _replace_seal(bureau, upload, ["seal"])
    audit.record_for(bureau, action="seal_uploaded", actor=None, bureau=bureau)
    return bureau
