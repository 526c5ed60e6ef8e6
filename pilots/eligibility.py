"""Checks pilots adds to starting an application book (registered with applications)."""

from django.utils.translation import gettext as _

from applications.models import Call
from portal.models import Organization
from portal.templatetags.portal_tags import join_list

from .models import LeadingUnit


def serving_unit_refusal(call: Call, organization: Organization) -> str:
    """An organization already leading every sub-industry of a leading-unit call for this bureau
    has nothing to apply for: selecting it again would make a second, identical unit."""
    if call.kind != Call.Kind.LEADING_UNIT or not call.sub_industries:
        return ""
    served: set[str] = set()
    for unit in LeadingUnit.objects.filter(
        organization=organization, bureau_id=call.bureau_id
    ).exclude(status=LeadingUnit.Status.REMOVED):
        served.update(unit.sub_industries)
    if not set(call.sub_industries) <= served:
        return ""
    return _(
        "Your organization is already this bureau's leading unit for %(list)s; this call has no "
        "other sub-industry to apply for."
    ) % {"list": join_list(sorted(served))}
