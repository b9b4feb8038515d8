"""schemathesis against the service's own OpenAPI document, on a real loopback server:
no 5xx, and every status, content type and body as documented."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from qa_service.api.openapi import openapi_document
from qa_service.settings import Settings
from tests.qa_service.servers import serve

schema = schemathesis.openapi.from_dict(openapi_document(Settings.from_env()))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def base_url(app):
    with serve(app) as base:
        yield base


def test_served_document_is_the_one_tested(app):
    assert app.test_client().get("/openapi.json").get_json() == openapi_document(Settings.from_env())


@schema.exclude(path="/admin/reload").parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, base_url):
    case.call_and_validate(base_url=base_url, checks=CHECKS)
