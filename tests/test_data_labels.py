"""English for the shipped data: every label a user reads in a template, the one-enterprise-one-file
record, a rubric, the digital-level index or an indicator set has an ``_en`` twin, the way the
message catalogue has a Chinese entry for every string; and part numbers follow the language."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from portal.templatetags.portal_tags import chinese_numeral, numbered

ROOT = Path(settings.BASE_DIR)
# Every folder of data the portal ships and shows (docs/call-templates.md names the twins).
SHIPPED_DATA = [
    "applications/shipped_templates",
    "pilots/shipped",
    "pilots/shipped_indices",
    "evaluation/shipped_rubrics",
    "evaluation/shipped_indicators",
]
# Keys whose value a user reads; ``source`` and ``note`` cite the seeds for maintainers and
# stored choice values stay as the official wording (they are data, not labels).
SHOWN_KEYS = ("label", "title", "help", "message", "text", "name", "guidance", "group")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A citation of a seed's section or annex (000 §二(三)2, 002 附2 注1) may stay in Chinese.
SEED_CITATION = re.compile(r"(?:[附§]|注(?=\d))[^\s,;]*")


def missing_english(value: Any, path: str = "") -> list[str]:
    """The paths of shown labels that hold Chinese and have no English twin."""
    found: list[str] = []
    if isinstance(value, dict):
        for key in SHOWN_KEYS:
            text = value.get(key)
            english = value.get(f"{key}_en")
            if isinstance(text, str) and CJK.search(text):
                if not isinstance(english, str) or not english.strip():
                    found.append(f"{path}.{key} {text!r}")
                elif CJK.search(SEED_CITATION.sub("", english)):
                    # A seed citation (002 附2, 000 §三) may stay; other Chinese may not.
                    found.append(f"{path}.{key}_en {english!r} is not English")
        for key, child in value.items():
            found += missing_english(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += missing_english(child, f"{path}[{index}]")
    return found


def shipped_files() -> list[Path]:
    files = [path for folder in SHIPPED_DATA for path in sorted((ROOT / folder).glob("*.json"))]
    assert len(files) >= 10, "a shipped data folder moved; update SHIPPED_DATA"
    return files


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_every_shipped_data_label_has_english(path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    assert missing_english(definition) == []


def test_the_check_reports_a_label_without_english_and_a_chinese_twin():
    definition = {
        "sections": [
            {
                "title": "基本情况",
                "title_en": "Basic information",
                "fields": [{"label": "企业名称"}],
            },
            {"title": "改造前", "title_en": "改造前"},
            {"label": "说明", "label_en": "Explanation (002 附2 注1)", "source": "002 附2"},
        ]
    }
    assert missing_english(definition) == [
        ".sections[0].fields[0].label '企业名称'",
        ".sections[1].title_en '改造前' is not English",
    ]


@pytest.mark.parametrize(
    ("number", "chinese", "english"),
    [
        ("一", "一、基本情况", "1. Basic information"),
        ("十", "十、基本情况", "10. Basic information"),
        ("十二", "十二、基本情况", "12. Basic information"),
        ("附2", "附2 基本情况", "Annex 2. Basic information"),  # 附1 实施方案… (003 附件)
        ("A", "A、基本情况", "A. Basic information"),
    ],
)
def test_part_numbers_follow_the_language(number, chinese, english):
    with translation.override("zh-hans"):
        assert str(numbered(number, "基本情况")) == chinese
    with translation.override("en"):
        assert str(numbered(number, "Basic information")) == english


def test_chinese_numerals_read_as_numbers_and_other_text_does_not():
    assert [chinese_numeral(n) for n in ("一", "九", "十", "十一", "二十", "二十三")] == [
        1,
        9,
        10,
        11,
        20,
        23,
    ]
    assert [chinese_numeral(n) for n in ("", "附1", "一二", "十十", "百")] == [None] * 5


@pytest.mark.django_db
def test_a_shipped_file_changed_only_in_english_refreshes_its_stored_row():
    from evaluation.models import Rubric
    from evaluation.rubrics_loader import SHIPPED
    from portal import shipped
    from portal.scoping import scopes_disabled

    definition = json.loads((SHIPPED / "leading_unit_2025.json").read_text(encoding="utf-8"))
    old = json.loads(json.dumps(definition))
    del old["criteria"][0]["guidance_en"]
    with scopes_disabled():
        Rubric.objects.filter(code=definition["code"]).update(definition=old)

        def sync(new):
            shipped.sync(Rubric, [new], lambda d: {"kind": d["kind"], "name": d["name"]})
            return Rubric.objects.get(code=definition["code"], version=definition["version"])

        assert sync(definition).definition == definition  # English only: refreshed
        changed = json.loads(json.dumps(definition))
        changed["criteria"][0]["max"] += 1
        changed["criteria"][0]["label_en"] = "Another label"
        assert sync(changed).definition == definition  # a score changed: a new version
