"""Panels that apps contribute to the home pages, so the core's home view imports no app.

An app registers a panel (a template and a function giving its context) in its
``AppConfig.ready()``; the home view renders every panel whose audience matches the visitor and
whose context function returns something to show."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

PUBLIC, SIGNED_IN = "public", "signed_in"


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    audiences: frozenset[str]


PANELS: list[Panel] = []


def register(
    template: str, context: Callable[[HttpRequest], dict[str, Any] | None], *, audiences: set[str]
) -> None:
    PANELS.append(Panel(template, context, frozenset(audiences)))


def panels_for(request: HttpRequest, audience: str) -> list[dict[str, Any]]:
    """The panels to render for ``audience``, each as ``{"template": …, **context}``."""
    shown = []
    for panel in PANELS:
        if audience not in panel.audiences:
            continue
        context = panel.context(request)
        if context is not None:
            shown.append({"template": panel.template, **context})
    return shown
