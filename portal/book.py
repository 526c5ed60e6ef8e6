"""The application-book engine: a call template (data) describes sections; this module turns
what an applicant typed into typed values, messages, computed figures and completeness.

Answers are stored exactly as typed (strings), so nothing is ever lost to validation; every
read derives the typed values and the messages from them. Template definitions live in
``shipped_templates/*.json``; see ``docs/call-templates.md`` for the format.

Section types: ``fields``, ``table`` (repeating rows with typed columns), ``richtext``
(sanitised HTML), ``attachments`` (slots), ``declaration``. Field and column types: text,
textarea, integer, decimal, date, choice, multichoice, boolean, phone, email, uscc, and the
read-only ``computed`` (sum or ratio of other fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal import uscc
from portal.labels import localized as localized  # the book engine's labels, also from here
from portal.templatetags.portal_tags import join_list

SECTION_TYPES = {"fields", "table", "richtext", "attachments", "declaration"}
VALUE_TYPES = {
    "text",
    "textarea",
    "integer",
    "decimal",
    "date",
    "choice",
    "multichoice",
    "boolean",
    "phone",
    "email",
    "uscc",
    "computed",
}
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 5000, "phone": 30, "email": 254, "uscc": 40}
HARD_MAX_ROWS = 2000  # no template may allow more rows than this in one table
RICHTEXT_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "blockquote",
}
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


class TemplateError(ValueError):
    """A template definition that does not follow the format (an admin's mistake, not a user's)."""


@dataclass(frozen=True)
class Issue:
    """One problem in a book: where (section, field, row) and what, in the user's language."""

    section: str
    message: str
    field: str = ""
    row: int | None = None
    label: str = ""  # the field's or column's label, for lists far from the form

    @property
    def anchor(self) -> str:
        """The id of the element to jump to: the row of a table, else the field."""
        if self.row is not None:
            return f"{self.section}-{self.row + 1}"
        return f"{self.section}-{self.field}" if self.field else self.section


def sanitize_html(value: str) -> str:
    """Rich text as a safe subset of HTML. Plain text keeps its line breaks."""
    value = value or ""
    if "<" not in value:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
        value = "".join(f"<p>{nh3.clean_text(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
        return value
    return nh3.clean(
        value,
        tags=RICHTEXT_TAGS,
        attributes={"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
    )


def plain_text_length(html: str) -> int:
    return len(re.sub(r"<[^>]+>", "", html or ""))


class Book:
    """A template definition bound to the call it is used for (for call-dependent choices)."""

    def __init__(
        self, definition: dict[str, Any], *, sub_industries: list[str] | None = None
    ) -> None:
        self.definition = definition
        self.sub_industries = list(sub_industries or [])
        self.sections: list[dict[str, Any]] = definition.get("sections", [])
        self._by_key = {s["key"]: s for s in self.sections}

    # --- structure ---------------------------------------------------------------------------
    def section(self, key: str) -> dict[str, Any]:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def has_section(self, key: str) -> bool:
        return key in self._by_key

    def choices(self, spec: dict[str, Any]) -> list[str]:
        if spec.get("choices_from") == "call.sub_industries":
            return self.sub_industries
        return [str(c) for c in spec.get("choices", [])]

    def slots(self, section: dict[str, Any], partner_names: list[str]) -> list[dict[str, Any]]:
        """Attachment slots of a section, with per-partner slots repeated for each partner."""
        result = []
        for slot in section.get("slots", []):
            if slot.get("per_partner"):
                for index, name in enumerate(partner_names):
                    result.append(
                        {
                            **slot,
                            "key": f"{slot['key']}@{index + 1}",
                            "base_key": slot["key"],
                            "partner": name,
                            "label": pgettext("slot for a partner", "%(slot)s (%(partner)s)")
                            % {"slot": localized(slot), "partner": name},
                        }
                    )
            else:
                result.append(
                    {**slot, "base_key": slot["key"], "partner": "", "label": localized(slot)}
                )
        return result

    def partner_names(self, answers: dict[str, Any]) -> list[str]:
        source = self.definition.get("partners_from")  # {"section": ..., "column": ...}
        if not source:
            return []
        rows = (answers.get(source["section"]) or {}).get("rows") or []
        return [
            str(row.get(source["column"], "")).strip()
            for row in rows
            if str(row.get(source["column"], "")).strip()
        ]

    # --- reading what was typed -----------------------------------------------------------------
    def raw_from_post(self, key: str, post: Any) -> dict[str, Any]:
        """What the form sent for a section, as strings; nothing dropped but unknown names."""
        section = self.section(key)
        kind = section["type"]
        if kind == "fields":
            raw: dict[str, Any] = {}
            for spec in section["fields"]:
                name = spec["key"]
                if spec["type"] == "computed":
                    continue
                if spec["type"] == "multichoice":
                    raw[name] = [str(v) for v in post.getlist(name)]
                elif spec["type"] == "boolean":
                    raw[name] = "yes" if post.get(name) in ("yes", "on", "true", "1") else ""
                else:
                    raw[name] = _clean_str(post.get(name, ""))
            return raw
        if kind == "table":
            return {"rows": self._rows_from_post(section, post)}
        if kind == "richtext":
            return {"html": sanitize_html(str(post.get("html", "")))}
        if kind == "declaration":
            return {
                "agreed": "yes" if post.get("agreed") in ("yes", "on") else "",
                "signatory": _clean_str(post.get("signatory", "")),
                "signed_on": _clean_str(post.get("signed_on", "")),
            }
        return {}

    def _rows_from_post(self, section: dict[str, Any], post: Any) -> list[dict[str, str]]:
        columns = [c for c in section["columns"] if c["type"] != "computed"]
        paste = str(post.get("paste", "") or "")
        if paste.strip():
            # Tab-separated rows pasted from Excel, in the column order of the template.
            lines = [line for line in paste.replace("\r\n", "\n").split("\n") if line.strip()]
            if len(lines) > self.max_rows(section):
                raise ValidationError(
                    _("You pasted %(count)d rows; this table takes at most %(max)d.")
                    % {"count": len(lines), "max": self.max_rows(section)},
                    code="too_many_rows",
                )
            existing = self._rows_from_fields(columns, post)
            pasted = [
                {
                    c["key"]: _clean_str(cell)
                    for c, cell in zip(columns, line.split("\t"), strict=False)
                }
                for line in lines
            ]
            return existing + pasted if post.get("paste_mode") == "append" else pasted
        return self._rows_from_fields(columns, post)

    def _rows_from_fields(self, columns: list[dict[str, Any]], post: Any) -> list[dict[str, str]]:
        try:
            count = int(post.get("row_count", "0"))
        except (TypeError, ValueError):
            count = 0
        count = max(0, min(count, HARD_MAX_ROWS))
        rows = []
        deleted = set(post.getlist("delete_row")) if hasattr(post, "getlist") else set()
        for index in range(count):
            if str(index) in deleted:
                continue
            row = {c["key"]: _clean_str(post.get(f"r{index}-{c['key']}", "")) for c in columns}
            if any(row.values()):
                rows.append(row)
        return rows

    def max_rows(self, section: dict[str, Any]) -> int:
        return min(int(section.get("max_rows", 200)), HARD_MAX_ROWS)

    # --- typed values and messages --------------------------------------------------------------
    def evaluate(
        self,
        key: str,
        raw: dict[str, Any] | None,
        attachments: dict[str, int] | None = None,
        answers: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], list[Issue]]:
        """Typed values and the problems of one section. ``attachments`` maps slot key → count."""
        section = self.section(key)
        raw = raw or {}
        kind = section["type"]
        if kind == "fields":
            return self._evaluate_fields(key, section, raw)
        if kind == "table":
            return self._evaluate_table(key, section, raw)
        if kind == "richtext":
            return self._evaluate_richtext(key, section, raw)
        if kind == "attachments":
            return self._evaluate_attachments(key, section, attachments or {}, answers or {})
        if kind == "declaration":
            return self._evaluate_declaration(key, raw)
        raise TemplateError(f"unknown section type {kind!r}")

    def _typed_values(
        self, key: str, specs: list[dict[str, Any]], raw: dict[str, Any], row: int | None = None
    ) -> tuple[dict[str, Any], list[Issue]]:
        """One set of fields, or one table row: typed values first, then the computed ones."""
        values: dict[str, Any] = {}
        issues = []
        for spec in specs:
            if spec["type"] == "computed":
                continue
            value, message = self.parse_value(spec, raw.get(spec["key"]))
            values[spec["key"]] = value
            if message:
                issues.append(
                    Issue(key, message, field=spec["key"], row=row, label=localized(spec))
                )
        for spec in specs:
            if spec["type"] == "computed":
                values[spec["key"]] = compute(spec, values)
        return values, issues

    def _evaluate_fields(
        self, key: str, section: dict[str, Any], raw: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Issue]]:
        return self._typed_values(key, section["fields"], raw)

    def _evaluate_table(
        self, key: str, section: dict[str, Any], raw: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Issue]]:
        rows = []
        issues: list[Issue] = []
        for index, row_raw in enumerate(raw.get("rows") or []):
            row, row_issues = self._typed_values(key, section["columns"], row_raw, row=index)
            rows.append(row)
            issues += row_issues
        minimum = int(section.get("min_rows", 0))
        if len(rows) < minimum:
            issues.append(
                Issue(
                    key,
                    _("At least %(min)d rows are needed; there are %(count)d.")
                    % {"min": minimum, "count": len(rows)},
                )
            )
        if len(rows) > self.max_rows(section):
            issues.append(
                Issue(
                    key,
                    _("At most %(max)d rows are allowed; there are %(count)d.")
                    % {"max": self.max_rows(section), "count": len(rows)},
                )
            )
        for unique in section.get("unique", []):
            issues += _repeated_values(key, rows, unique)
        return {"rows": rows}, issues

    def _evaluate_richtext(
        self, key: str, section: dict[str, Any], raw: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Issue]]:
        issues = []
        html = str(raw.get("html", ""))
        length = plain_text_length(html)
        if section.get("required", True) and length == 0:
            issues.append(Issue(key, _("This part is required.")))
        if length > int(section.get("max_length", 30000)):
            issues.append(
                Issue(
                    key,
                    _("This text is %(count)d characters long; at most %(max)d are allowed.")
                    % {"count": length, "max": int(section.get("max_length", 30000))},
                )
            )
        return {"html": html}, issues

    def _evaluate_attachments(
        self, key: str, section: dict[str, Any], counts: dict[str, int], answers: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Issue]]:
        issues = [
            Issue(key, _("Upload: %(slot)s.") % {"slot": slot["label"]}, field=slot["key"])
            for slot in self.slots(section, self.partner_names(answers))
            if slot.get("required") and not counts.get(slot["key"])
        ]
        return {}, issues

    def _evaluate_declaration(
        self, key: str, raw: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Issue]]:
        issues = []
        if raw.get("agreed") != "yes":
            issues.append(Issue(key, _("Read and accept the declaration."), field="agreed"))
        if not raw.get("signatory"):
            issues.append(Issue(key, _("Enter the name of the person signing."), field="signatory"))
        signed_on, message = self.parse_value(
            {"type": "date", "required": True}, raw.get("signed_on")
        )
        if message:
            issues.append(Issue(key, message, field="signed_on"))
        return {
            "agreed": raw.get("agreed") == "yes",
            "signatory": raw.get("signatory", ""),
            "signed_on": signed_on,
        }, issues

    def parse_value(self, spec: dict[str, Any], raw: Any) -> tuple[Any, str]:
        """(typed value or None, message or "") for one field or cell."""
        kind = spec["type"]
        if kind == "multichoice":
            return self._parse_multichoice(spec, raw)
        text = "" if raw is None else str(raw).strip()
        if kind == "boolean":
            return text == "yes", ""
        if not text:
            return None, (_("This field is required.") if spec.get("required", False) else "")
        parse = {
            "text": _parse_text,
            "textarea": _parse_text,
            "integer": _parse_integer,
            "decimal": _parse_decimal,
            "date": _parse_date,
            "choice": self._parse_choice,
            "phone": _parse_phone,
            "email": _parse_email,
            "uscc": _parse_uscc,
        }.get(kind)
        if parse is None:
            raise TemplateError(f"unknown value type {kind!r}")
        return parse(spec, text)

    def _parse_multichoice(self, spec: dict[str, Any], raw: Any) -> tuple[Any, str]:
        values = [v for v in (raw or []) if v]
        allowed = self.choices(spec)
        bad = [v for v in values if v not in allowed]
        if bad:
            return values, _("Not one of the choices: %(value)s") % {"value": join_list(bad)}
        if spec.get("required", False) and not values:
            return values, _("Choose at least one.")
        return values, ""

    def _parse_choice(self, spec: dict[str, Any], text: str) -> tuple[Any, str]:
        if text not in self.choices(spec):
            return text, _("Not one of the choices: %(value)s") % {"value": text[:50]}
        return text, ""

    # --- the whole book ---------------------------------------------------------------------------
    def check(
        self, answers: dict[str, Any], attachment_counts: dict[str, dict[str, int]]
    ) -> tuple[dict[str, list[Issue]], list[Issue]]:
        """Problems per section, and the cross-section rule problems; both empty = complete."""
        per_section: dict[str, list[Issue]] = {}
        values: dict[str, Any] = {}
        for section in self.sections:
            key = section["key"]
            values[key], per_section[key] = self.evaluate(
                key, answers.get(key), attachment_counts.get(key, {}), answers
            )
        cross = []
        for rule in self.definition.get("rules", []):
            cross.extend(apply_rule(self, rule, values))
        return per_section, cross


def _repeated_values(key: str, rows: list[dict[str, Any]], column: str) -> list[Issue]:
    """A column whose values must be unique: each repeat names the row it repeats."""
    issues = []
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = row.get(column)
        if value in (None, ""):
            continue
        if value in seen:
            issues.append(
                Issue(
                    key,
                    _("This value already appears in row %(row)d.") % {"row": seen[value] + 1},
                    field=column,
                    row=index,
                )
            )
        else:
            seen[value] = index
    return issues


# --- one value of each type: (typed value or None, message or ""); never empty text -------------
def _parse_text(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    max_length = int(spec.get("max_length", DEFAULT_MAX_LENGTH.get(spec["type"], 200)))
    if len(text) > max_length:
        return text, _("At most %(max)d characters; this has %(count)d.") % {
            "max": max_length,
            "count": len(text),
        }
    return text, ""


def _parse_integer(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    try:
        value = int(text.replace(",", ""))
    except ValueError:
        return None, _("Enter a whole number.")
    return value, _check_range(spec, value)


def _parse_decimal(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    try:
        value = Decimal(text.replace(",", ""))
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return None, _("Enter a number, e.g. 12.5.")
    if abs(value) >= Decimal(10) ** 12:
        return None, _("This number is too large.")
    places = int(spec.get("decimal_places", 2))
    if value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        return value, _("At most %(places)d decimal places.") % {"places": places}
    return value, _check_range(spec, value)


def _parse_date(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None, _("Enter a date as YYYY-MM-DD.")
    minimum, maximum = spec.get("min"), spec.get("max")
    if minimum and value < date.fromisoformat(minimum):
        return value, _("The date must be on or after %(date)s.") % {"date": minimum}
    if maximum and value > date.fromisoformat(maximum):
        return value, _("The date must be on or before %(date)s.") % {"date": maximum}
    return value, ""


def _parse_phone(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    compact = text.replace(" ", "")
    return compact, "" if PHONE.match(compact) else _(
        "Enter a mobile number or a landline with area code, e.g. 0750-3279722."
    )


def _parse_email(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    try:
        validate_email(text)
    except ValidationError:
        return text, _("Enter a valid email address.")
    return text, ""


def _parse_uscc(spec: dict[str, Any], text: str) -> tuple[Any, str]:
    try:
        return uscc.validate(text), ""
    except ValidationError as error:
        return text, error.messages[0]


def _clean_str(value: Any) -> str:
    text = str(value or "")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()


def _check_range(spec: dict[str, Any], value: Any) -> str:
    if "min" in spec and value < Decimal(str(spec["min"])):
        return _("Must be at least %(min)s.") % {"min": spec["min"]}
    if "max" in spec and value > Decimal(str(spec["max"])):
        return _("Must be at most %(max)s.") % {"max": spec["max"]}
    return ""


def compute(spec: dict[str, Any], values: dict[str, Any]) -> Decimal | None:
    """A computed field: ``sum`` of fields, or ``ratio`` (numerator / denominator, in %)."""
    formula = spec["formula"]
    if formula["op"] == "sum":
        parts = [values.get(name) for name in formula["of"]]
        if any(p is None for p in parts):
            return None
        return sum((Decimal(p) for p in parts), Decimal(0))
    if formula["op"] == "ratio":
        numerator, denominator = (
            values.get(formula["numerator"]),
            values.get(formula["denominator"]),
        )
        if numerator is None or denominator in (None, 0):
            return None
        return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    raise TemplateError(f"unknown formula {formula['op']!r}")


def _matches(row: dict[str, Any], where: dict[str, Any]) -> bool:
    for column, condition in where.items():
        value = row.get(column)
        if isinstance(condition, dict):
            if "gte" in condition and (value is None or str(value) < str(condition["gte"])):
                return False
            if "in" in condition and value not in condition["in"]:
                return False
        elif value != condition:
            return False
    return True


def apply_rule(book: Book, rule: dict[str, Any], values: dict[str, Any]) -> list[Issue]:
    """Cross-section rules. Each carries its message and the seed rule it encodes."""
    kind = rule["type"]
    message = localized(rule, "message")
    section = rule.get("section", "")
    if kind == "rows_per_choice":
        # e.g. ≥3 service cases since 2023 for every applied sub-industry (000 §二.4)
        chosen = _lookup(values, rule["choices_field"]) or []
        rows = (values.get(rule["section"]) or {}).get("rows", [])
        issues = []
        for choice in chosen:
            count = sum(
                1
                for row in rows
                if row.get(rule["column"]) == choice and _matches(row, rule.get("where", {}))
            )
            if count < int(rule["min"]):
                issues.append(
                    Issue(section, message.format(choice=choice, count=count, min=rule["min"]))
                )
        return issues
    if kind == "rows_where":
        rows = (values.get(rule["section"]) or {}).get("rows", [])
        count = sum(1 for row in rows if _matches(row, rule.get("where", {})))
        if count < int(rule.get("min", 0)) or ("max" in rule and count > int(rule["max"])):
            return [Issue(section, message.format(count=count))]
        return []
    if kind == "field_in":
        condition = rule.get("when")
        if condition and _lookup(values, condition["field"]) != condition["equals"]:
            return []
        value = _lookup(values, rule["field"])
        if value is not None and value not in rule["allowed"]:
            return [Issue(rule["field"].split(".")[0], message, field=rule["field"].split(".")[1])]
        return []
    if kind == "min_by_choice":
        # e.g. ≥100/80/50 enterprises per county by region (002 §二)
        choice = _lookup(values, rule["choice_field"])
        value = _lookup(values, rule["field"])
        minimum = rule["minimums"].get(str(choice)) if choice else None
        if minimum is not None and value is not None and value < minimum:
            return [
                Issue(
                    rule["field"].split(".")[0],
                    message.format(choice=choice, min=minimum, value=value),
                    field=rule["field"].split(".")[1],
                )
            ]
        return []
    raise TemplateError(f"unknown rule type {kind!r}")


def _lookup(values: dict[str, Any], path: str) -> Any:
    section, _dot, field = path.partition(".")
    return (values.get(section) or {}).get(field)


def validate_definition(definition: dict[str, Any]) -> None:
    """Refuse a template an admin edited into something the engine cannot run."""
    if (
        not isinstance(definition, dict)
        or not isinstance(definition.get("sections"), list)
        or not definition["sections"]
    ):
        raise TemplateError("a template needs a non-empty list of sections")
    keys = set()
    for section in definition["sections"]:
        key = section.get("key")
        if not key or not re.fullmatch(r"[a-z][a-z0-9_]*", str(key)) or key in keys:
            raise TemplateError(f"section key {key!r} is missing, malformed or repeated")
        keys.add(key)
        if section.get("type") not in SECTION_TYPES:
            raise TemplateError(f"section {key}: unknown type {section.get('type')!r}")
        if not section.get("title"):
            raise TemplateError(f"section {key}: a title is required")
        for spec in section.get("fields", []) + section.get("columns", []):
            if spec.get("type") not in VALUE_TYPES:
                raise TemplateError(
                    f"section {key}: field {spec.get('key')!r} has unknown type {spec.get('type')!r}"
                )
            if not spec.get("key") or not spec.get("label"):
                raise TemplateError(f"section {key}: every field needs a key and a label")
    for rule in definition.get("rules", []):
        if rule.get("type") not in {"rows_per_choice", "rows_where", "field_in", "min_by_choice"}:
            raise TemplateError(f"unknown rule type {rule.get('type')!r}")
        if not rule.get("message"):
            raise TemplateError("every rule needs a message")
