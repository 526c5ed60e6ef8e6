"""Which bureau a report or a drill-down covers: any bureau the user sees as staff, by default their own (the
highest one they work for); the report covers that bureau's whole subtree (DESIGN.md §9: reports
roll up from county to city to province). An id the user may not see is ignored, like a missing
one, so a foreign bureau never shows through."""

from collections.abc import Mapping

from django.db.models import Q

from portal.models import BUREAU_ROLES, Bureau
from portal.visibility import Visibility


def report_bureau(visibility: Visibility, params: Mapping[str, str]) -> Bureau | None:
    """The bureau chosen by ``?bureau=<id>`` when the user sees it, else the user's own; ``None``
    for an operator without a choice (the whole portal)."""
    raw = str(params.get("bureau") or "").strip()
    if raw.isdigit() and len(raw) < 12:
        chosen = visibility.bureaus().filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    own = (
        Bureau.objects.filter(pk__in=visibility.bureau_ids_with(BUREAU_ROLES))
        .order_by("path")
        .first()
    )
    return own


def within(bureau: Bureau | None, field: str) -> Q:
    """Rows whose ``field`` (a bureau foreign key) lies in ``bureau``'s subtree."""
    if bureau is None:
        return Q()
    return Q(**{f"{field}__path__startswith": bureau.path})


def children(visibility: Visibility, bureau: Bureau | None) -> list[Bureau]:
    """The bureaus one level below (provinces for the whole portal), industry departments only:
    the rows a report's roll-up is the sum of."""
    queryset = visibility.bureaus().filter(department=Bureau.Department.INDUSTRY)
    if bureau is None:
        queryset = queryset.filter(parent__isnull=True)
    else:
        queryset = queryset.filter(parent=bureau)
    return list(queryset.order_by("division_code"))


def choices(visibility: Visibility) -> list[Bureau]:
    """Every bureau the user may choose, in tree order."""
    return list(visibility.bureaus().filter(department=Bureau.Department.INDUSTRY).order_by("path"))


def city_of(path: str) -> str:
    """The id of the city a bureau path lies in (``/province/city/county/``), or the province
    itself for a province's own rows; sub-industries are counted per city pilot (003 §三)."""
    parts = [p for p in path.split("/") if p]
    return parts[1] if len(parts) > 1 else parts[0] if parts else ""


def line(visibility: Visibility, bureau: Bureau | None) -> list[Bureau]:
    """The bureaus from the user's highest visible one down to ``bureau`` (a breadcrumb)."""
    if bureau is None:
        return []
    ids = [int(p) for p in bureau.path.split("/") if p]
    found = {b.pk: b for b in visibility.bureaus().filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]
