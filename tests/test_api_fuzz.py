"""Schema-driven fuzzing of every API operation (issue 13): schemathesis generates requests from
the served OpenAPI schema and sends them through the WSGI application with a real persona's
read-write token, in the demo world with its pilot. Any 500, undocumented status, wrong content
type or body that does not match the schema fails the test.

Bounded so the suite stays fast: a fixed number of examples per operation, derandomized (the
same examples every run), valid and invalid inputs both.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal import tokens
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app(settings):
    """The project's WSGI application, run inside the test's transaction: like Django's test
    client, it must not close the connection at the end of each request."""
    settings.API_RATE_LIMIT = "100000/minute"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(operation, mode: GenerationMode, headers: dict, failures: list, statuses: set) -> None:
    label = f"{operation.label} [{mode.value}]"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as error:  # noqa: BLE001 - every failure is listed, then asserted
            failures.append(f"{label}: {str(error)[:800]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid: the operation takes no parameters and no body.
        assert mode == GenerationMode.NEGATIVE, label


def test_fuzzing_every_operation_finds_no_server_error_and_no_schema_violation(world, wsgi_app):
    from demo.world import build_demo_pilot

    with scopes_disabled():
        build_demo_pilot(world)
    # The city's manager sees the most (its counties' enterprises, its programme) and may write.
    _token, raw = tokens.token_create(
        user=world.jm_manager, name="fuzz", scope="read_write", expires_in_days=30
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, "the schema lost operations"
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            statuses = answered.setdefault(f"{operation.label} [{mode.value}]", set())
            fuzz(operation, mode, {"Authorization": f"Bearer {raw}"}, failures, statuses)
    assert failures == []
    # The requests reached the resources as the persona: valid input is never refused as
    # unauthenticated, and every list answered with rows at least once.
    positive = {label: codes for label, codes in answered.items() if "[positive]" in label}
    assert not [label for label, codes in positive.items() if 401 in codes]
    lists = [
        label
        for label, codes in positive.items()
        if label.startswith("GET ") and "{" not in label and 200 not in codes
    ]
    assert lists == [], "these lists never answered 200"
