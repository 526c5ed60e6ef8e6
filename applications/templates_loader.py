"""Ship the seeds' call templates (see portal/shipped.py)."""

from pathlib import Path
from typing import Any

from portal import shipped
from portal.book import validate_definition

SHIPPED = Path(__file__).resolve().parent / "shipped_templates"


def shipped_definitions() -> list[dict[str, Any]]:
    return shipped.load_folder(SHIPPED, validate_definition)


def sync_shipped_templates(**kwargs: Any) -> None:
    from .models import CallTemplate

    shipped.sync(
        CallTemplate,
        shipped_definitions(),
        lambda d: {
            "kind": d["kind"],
            "name": d["name"],
            "definition": d,
            "source": d.get("source", "")[:255],
        },
    )
