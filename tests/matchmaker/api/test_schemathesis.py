"""schemathesis against the app, from the OpenAPI document it serves: no server error, and every
answer (status, content type, headers, body) as documented. Runs on SQLite, and on PostgreSQL with
`--db=postgres` (the fixtures' backend). Derandomised and bounded: a fixed number of examples per
operation, for each kind of caller."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import bearer, token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 12


@pytest.mark.parametrize(("who", "scope"), [("admin", "write"), ("member", "read")])
def test_every_operation_answers_as_documented(demo_app, who: str, scope: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    headers = bearer(token_for(demo_app, who, scope))
    demo_app.config["API_RATE_LIMIT_PER_MINUTE"] = 10**6
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 13

    for operation in operations:
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
