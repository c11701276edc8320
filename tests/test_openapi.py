"""The OpenAPI document is honest: schemathesis generates requests from it and checks every answer.

For every operation, hypothesis draws parameters (valid and invalid) from the
document; each answer must not be a 5xx, must have a documented status and
content type, and a JSON body must match its schema. Runaway-prone inputs are
bounded by the endpoint itself (size cap, time limit), so the run is bounded.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

schema = schemathesis.pytest.from_fixture("api_schema")

EXAMPLES = 25  # per operation: enough to find type and encoding holes, bounded in time


@pytest.fixture(scope="module")
def api_schema(api_app):
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck), derandomize=True)
def test_every_operation_keeps_its_contract(case) -> None:
    # A SPARQL query is a string to OpenAPI; its grammar cannot be stated there, so a schema-valid
    # string that is not SPARQL is rightly a 400: the "valid data accepted" check cannot apply to /sparql.
    excluded = [positive_data_acceptance] if case.path == "/sparql" else []
    case.call_and_validate(excluded_checks=excluded)


def test_every_route_is_typed_and_described(api) -> None:
    document = api.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert "200" in operation["responses"], f"{method.upper()} {path} documents no success"
            if operation.get("parameters") or operation.get("requestBody"):
                assert any(code.startswith("4") for code in operation["responses"]), f"{method.upper()} {path}: no 4xx"
