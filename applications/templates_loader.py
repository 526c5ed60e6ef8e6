"""Ship the seeds' call templates: every ``shipped_templates/*.json`` exists as a CallTemplate.

Runs after every migrate (and after test flushes), creating missing (code, version) pairs and
never changing an existing one: a changed template ships as a new version.
"""

import json
from pathlib import Path
from typing import Any

from .book import validate_definition

SHIPPED = Path(__file__).resolve().parent / "shipped_templates"


def shipped_definitions() -> list[dict[str, Any]]:
    definitions = []
    for path in sorted(SHIPPED.glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        validate_definition(definition)
        definitions.append(definition)
    return definitions


def sync_shipped_templates(**kwargs: Any) -> None:
    from portal.scoping import scopes_disabled

    from .models import CallTemplate

    # The portal itself installs its templates, outside any user's scope.
    with scopes_disabled():
        for definition in shipped_definitions():
            CallTemplate.objects.get_or_create(
                code=definition["code"],
                version=definition["version"],
                defaults={
                    "kind": definition["kind"],
                    "name": definition["name"],
                    "definition": definition,
                    "source": definition.get("source", "")[:255],
                },
            )
