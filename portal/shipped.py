"""Versioned data shipped with the portal (call templates, rubrics): one JSON file per version.

After every migrate (and test flush), each ``*.json`` in a folder exists as a row keyed by
(code, version); an existing version never changes, so a change ships as a new version.
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
            model._default_manager.get_or_create(
                code=definition["code"],
                version=definition["version"],
                defaults=defaults(definition),
            )
