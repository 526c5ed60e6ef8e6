"""Small presentation helpers whose punctuation follows the active language."""

import re
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext

from portal.labels import localized as localized_label

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
    """ "一、标题" in Chinese, "1. Title" in English; just the title when there is no number."""
    if not number:
        return format_html("{}", title)
    shown = number_in_language(str(number))
    if str(number) == ANNEX:  # a plan's one annex: "附：实施方案主要数据表" (002 附1)
        return format_html(pgettext("the annex", "{number}: {title}"), number=shown, title=title)
    if str(number).startswith(ANNEX):  # "附1 实施方案细分行业情况表" (003 附件), not "附1、"
        return format_html(
            pgettext("numbered annex", "{number}. {title}"), number=shown, title=title
        )
    return format_html(pgettext("numbered part", "{number}. {title}"), number=shown, title=title)


CHINESE_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
ANNEX = "附"  # the official documents number their annexes 附1, 附2 (e.g. 002 附2)


def chinese_numeral(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23 (the numbers of an official document's parts);
    None for anything else."""
    if not text or any(ch not in CHINESE_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return CHINESE_DIGITS[text] if len(text) == 1 else None
    tens, _sep, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (CHINESE_DIGITS[tens] if tens else 1) * 10 + (CHINESE_DIGITS[units] if units else 0)


def number_in_language(number: str) -> str:
    """A part's number as the reader counts: 一, 附1 in Chinese; 1, Annex 1 in English."""
    if not (get_language() or "").startswith("en"):
        return number
    if number.startswith(ANNEX):
        return f"Annex {number_in_language(number[len(ANNEX) :]).strip()}"
    value = chinese_numeral(number)
    return str(value) if value is not None else number


@register.filter
def localized(definition: Any, key: str = "label") -> str:
    """A shipped data label (template, index, rubric) in the active language."""
    return localized_label(definition, key) if hasattr(definition, "get") else ""


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


# Words of official titles a line must not split: a cover title breaks only between them.
TITLE_WORDS = (
    "中小企业",
    "制造业",
    "数字化转型",
    "数字化",
    "城市试点",
    "县域试点",
    "试点",
    "牵引单位",
    "遴选",
    "标杆示范",
    "示范企业",
    "示范车间",
    "申报书",
    "申报",
    "实施方案",
    "工业和信息化局",
    "工业和信息化厅",
)
# The vocabulary first, then a year, then a leading place name (江门市, 广东省).
_TITLE_SPLIT = re.compile("(" + "|".join(TITLE_WORDS) + r"|\d{4}年|^[^\s省市区县]{1,4}[省市区县])")


@register.filter
def unbroken_title(title: Any) -> str:
    """A cover title whose lines break between words, never inside one: each place name, year
    and word of the pilots' vocabulary is kept together on a line (Chinese has no spaces to
    break at, so the renderer would otherwise cut anywhere)."""
    parts = []
    for part in _TITLE_SPLIT.split(str(title)):
        # Text outside the vocabulary longer than a short word may break anywhere, as before,
        # rather than overflow the page.
        parts.extend(part if len(part) > 8 else [part] if part else [])
    return mark_safe(  # noqa: S308 - every part is escaped
        "".join(f'<span style="display: inline-block">{escape(part)}</span>' for part in parts)
    )


@register.filter
def masked_phone(value: str) -> str:
    """138****8000 (portal.personal_data): personal data in lists and for those without need."""
    from portal.personal_data import mask_phone

    return mask_phone(value)


@register.filter
def masked_email(value: str) -> str:
    from portal.personal_data import mask_email

    return mask_email(value)


@register.filter
def masked_contact(value: str) -> str:
    from portal.personal_data import mask_contact

    return mask_contact(value)
