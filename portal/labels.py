"""Labels of shipped data (templates, the enterprise record, rubrics, the index, indicator sets)
in the active language: each label may carry an ``_en`` twin (docs/call-templates.md)."""

from typing import Any

from django.db import models
from django.utils.translation import get_language


def localized(definition: dict[str, Any], key: str = "label") -> str:
    """A label in the active language: ``label_en`` when English is active and present."""
    if (get_language() or "").startswith("en") and definition.get(f"{key}_en"):
        return str(definition[f"{key}_en"])
    return str(definition.get(key, ""))


def choice_label(choices: type[models.Choices], value: str) -> str:
    """A stored choice's label in the active language, or the value itself if it is not (or no
    longer) a choice: what ``get_FOO_display`` gives a model, for rows read as values."""
    return str(dict(choices.choices).get(value, value))
