"""Small presentation helpers whose punctuation follows the active language."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def join_list(items: Iterable[Any]) -> str:
    """["a", "b"] → "a、b" in Chinese, "a, b" in English."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


@register.simple_tag
def labelled(label: Any, value: Any) -> str:
    """ "Label：value" in Chinese, "Label: value" in English; both parts escaped."""
    return format_html(
        pgettext("label and its value", "{label}: {value}"), label=label, value=value
    )


@register.simple_tag
def numbered(number: Any, title: Any) -> str:
    """ "一、标题" in Chinese, "一. Title" in English; just the title when there is no number."""
    if not number:
        return format_html("{}", title)
    return format_html(pgettext("numbered part", "{number}. {title}"), number=number, title=title)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
