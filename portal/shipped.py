"""Versioned data shipped with the portal (call templates, rubrics): one JSON file per version.

After every migrate (and test flush), each ``*.json`` in a folder exists as a row keyed by
(code, version); an existing version never changes, so a change ships as a new version. The one
exception is English: a file that differs from its stored row only in ``*_en`` keys (labels,
titles, help) refreshes the row, since a translation changes no rule, score or stored answer.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import models


def load_folder(folder: Path, validate: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    definitions = []
    for path in sorted(folder.glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        validate(definition)
        definitions.append(definition)
    return definitions


def sync(
    model: type[models.Model],
    definitions: list[dict[str, Any]],
    defaults: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    from .scoping import scopes_disabled

    # The portal itself installs its shipped data, outside any user's scope.
    with scopes_disabled():
        for definition in definitions:
            row, created = model._default_manager.get_or_create(
                code=definition["code"],
                version=definition["version"],
                defaults=defaults(definition),
            )
            stored = getattr(row, "definition", None)
            if created or stored == definition or stored is None:
                continue
            if without_english(stored) == without_english(definition):
                row.definition = definition  # type: ignore[attr-defined]
                row.save(update_fields=["definition"])


def without_english(value: Any) -> Any:
    """The definition with every ``*_en`` twin removed: what the rules and scores depend on."""
    if isinstance(value, dict):
        return {k: without_english(v) for k, v in value.items() if not k.endswith("_en")}
    if isinstance(value, list):
        return [without_english(v) for v in value]
    return value
