"""Personal information (PIPL Art. 51; GB/T 22239-2019 8.1.4.11 个人信息保护): encrypted at rest,
masked where shown, revealed only to those who need it, and every reveal audited.

Which values are personal: a person's mobile phone (``User.phone``) and email (``User.email``),
an organization's contact phone and email (they name a person: the contact), and the phone or
email an objector leaves on a publicity notice (``Objection.contact``). Identity-card numbers
are not stored as data; the legal representative's ID copy is an uploaded file, handed out only
through ``portal.downloads.private_download`` (audited).

Who needs them (docs/decisions.md): the person themself; the members of the organization the
value belongs to; managers and admins of the responsible bureau (its own staff or a bureau above
it: they contact applicants, experts and objectors); portal operators. Reviewers, experts, other
organizations and the public see masked values. Lists and exports mask for everyone without that
need, and a reveal to someone with it is an audit record.
"""

from typing import Any


# --- masking ------------------------------------------------------------------------------------
def mask_phone(value: str) -> str:
    """138****8000: the carrier prefix and the last four, as Chinese services print numbers."""
    digits = (value or "").strip()
    if not digits:
        return ""
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(value: str) -> str:
    """z***@example.cn: the first letter and the domain."""
    value = (value or "").strip()
    if not value:
        return ""
    local, at, domain = value.partition("@")
    if not at:
        return mask_phone(value)
    return f"{local[:1]}***@{domain}"


def mask_id_number(value: str) -> str:
    """44070**********12X: the region's first five digits and the last three (GB 11643)."""
    value = (value or "").strip()
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:5]}{'*' * (len(value) - 8)}{value[-3:]}"


def mask_contact(value: str) -> str:
    """A phone or an email, whichever it is."""
    return mask_email(value) if "@" in (value or "") else mask_phone(value)


# --- who needs them -----------------------------------------------------------------------------
def may_reveal(
    visibility: Any, *, organization_id: int | None = None, bureau_id: int | None = None
) -> bool:
    """Whether the viewer needs the personal data of ``organization_id`` (its member) or of
    a matter of ``bureau_id`` (a manager or admin of that bureau or of one above it)."""
    if visibility is None or not visibility.is_authenticated:
        return False
    if visibility.is_operator:
        return True
    if organization_id is not None and organization_id in visibility.organization_ids:
        return True
    return bureau_id is not None and bureau_id in visibility.manager_bureau_ids


def audit_reveal(
    *,
    where: str,
    subject: Any = None,
    count: int = 1,
    actor_id: int | None = None,
    table: str = "",
) -> None:
    """One audit record per page or export (``table``: the exported list) that showed personal
    data unmasked."""
    from . import audit
    from .models import AuditEvent

    audit.record(
        action="personal_data_revealed",
        outcome=AuditEvent.Outcome.SUCCESS,
        actor_id=actor_id,
        object_type=subject._meta.label_lower if subject is not None else "",
        object_id=str(subject.pk) if subject is not None else "",
        detail={"where": where, "count": count, **({"table": table} if table else {})},
    )


# --- what the portal holds about a person (PIPL Art. 44/45: the right to know and to copy) ------
# Each app registers what it keeps about a person: a title and a function of the user giving
# (label, value) rows, read in the person's own scope. The core lists its own in the view.
HoldingRows = list[tuple[Any, Any]]
HOLDINGS: list[tuple[Any, Any]] = []


def register_holding(title: Any, rows: Any) -> None:
    HOLDINGS.append((title, rows))


def holdings(user: Any) -> list[tuple[Any, HoldingRows]]:
    """The registered sections that hold something about ``user``."""
    sections = []
    for title, rows in HOLDINGS:
        found = rows(user)
        if found:
            sections.append((title, found))
    return sections
