"""The error answers in the OpenAPI schema: every operation documents the JSON error shape for
the statuses it can answer with, so a client (and the schema-driven fuzzing in the tests) knows
what a refusal looks like."""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "stable, e.g. not_found, invalid, conflict"},
        "message": {"type": "string", "description": "in the language of Accept-Language"},
        "errors": {"description": "per field (or non_field_errors), the problems found"},
    },
}

ERRORS = {
    "400": "The input is not valid, or a rule refused it (see errors).",
    "401": "No token, or the token is unknown, revoked or expired.",
    "403": "The caller may not do this (a read-only token writing, a missing role).",
    "404": "No such object, or one the caller may not see.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for something other than JSON.",
    "409": "The object changed since the given version was read.",
    "415": "The body is not JSON.",
    "429": "Too many requests with this token; retry after the Retry-After seconds.",
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description, "content": reference})
    return result
