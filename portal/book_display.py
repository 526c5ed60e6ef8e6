"""How a book's sections and fields are laid out for a page or a print: the values, labels and
messages a template needs, computed from a book definition (the engine is ``portal.book``)."""

from typing import Any

from django.utils import timezone

from .book import Book, Issue, localized

INPUT_TYPES = {
    "integer": "number",
    "decimal": "text",
    "date": "date",
    "email": "email",
    "phone": "tel",
}


def field_view(
    book: Book, spec: dict[str, Any], raw: Any, message: str, name: str
) -> dict[str, Any]:
    kind = spec["type"]
    return {
        "key": spec["key"],
        "name": name,
        "id": f"f-{name}",
        "label": localized(spec),
        "help": localized(spec, "help"),
        "type": kind,
        "input_type": INPUT_TYPES.get(kind, "text"),
        "inputmode": "decimal" if kind == "decimal" else "",
        "required": bool(spec.get("required")),
        "choices": book.choices(spec),
        "value": raw if raw is not None else ([] if kind == "multichoice" else ""),
        "error": message,
        "max_length": spec.get("max_length", 5000 if kind == "textarea" else 200),
    }


def section_view(
    book: Book,
    key: str,
    raw: dict[str, Any],
    issues: list[Issue],
    values: dict[str, Any],
    extra_rows: int = 0,
) -> dict[str, Any]:
    section = book.section(key)
    messages = {(i.field, i.row): i.message for i in issues}
    view: dict[str, Any] = {
        "key": key,
        "type": section["type"],
        "title": localized(section, "title"),
        "number": section.get("number", ""),
        "help": localized(section, "help"),
        "source": section.get("source", ""),
        "general_errors": [i.message for i in issues if not i.field],
    }
    if section["type"] == "fields":
        view["fields"] = []
        for spec in section["fields"]:
            if spec["type"] == "computed":
                value = values.get(spec["key"])
                view["fields"].append(
                    {
                        "label": localized(spec),
                        "type": "computed",
                        "value": value,
                        "unit": spec.get("unit", ""),
                        "help": localized(spec, "help"),
                    }
                )
            else:
                view["fields"].append(
                    field_view(
                        book,
                        spec,
                        raw.get(spec["key"]),
                        messages.get((spec["key"], None), ""),
                        spec["key"],
                    )
                )
    elif section["type"] == "table":
        columns = section["columns"]
        rows = list(raw.get("rows") or [])
        typed_rows = values.get("rows") or []
        total = len(rows) + extra_rows
        view["columns"] = [
            {
                "label": localized(c),
                "key": c["key"],
                "required": bool(c.get("required")),
                "type": c["type"],
            }
            for c in columns
        ]
        view["rows"] = []
        for index in range(total):
            row = rows[index] if index < len(rows) else {}
            cells = []
            for column in columns:
                if column["type"] == "computed":
                    typed = typed_rows[index] if index < len(typed_rows) else {}
                    cells.append({"type": "computed", "value": typed.get(column["key"])})
                else:
                    cells.append(
                        field_view(
                            book,
                            column,
                            row.get(column["key"]),
                            messages.get((column["key"], index), ""),
                            f"r{index}-{column['key']}",
                        )
                    )
            view["rows"].append({"index": index, "number": index + 1, "cells": cells})
        view["row_count"] = total
        view["template_cells"] = [
            field_view(book, c, None, "", f"r__i__-{c['key']}")
            for c in columns
            if c["type"] != "computed"
        ]
        view["max_rows"] = book.max_rows(section)
        view["paste_columns"] = " → ".join(localized(c) for c in columns if c["type"] != "computed")
    elif section["type"] == "richtext":
        view["html"] = raw.get("html", "")
        view["max_length"] = section.get("max_length", 30000)
    elif section["type"] == "declaration":
        view["text"] = localized(section, "text")
        view["agreed"] = raw.get("agreed") == "yes"
        view["signatory"] = raw.get("signatory", "")
        view["signed_on"] = raw.get("signed_on", "") or timezone.localdate().isoformat()
        view["field_errors"] = {i.field: i.message for i in issues if i.field}
    return view
