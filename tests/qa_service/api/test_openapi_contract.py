"""schemathesis against the service's own OpenAPI document, on a real loopback server, with all its checks and
its coverage phase: no 5xx, every status, header, content type and body as documented, schema-valid requests
accepted and invalid ones refused (schemathesis.toml in the project root states the one exception: a file whose
bytes are not a readable document of its type). Writes go to a private copy of the index."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from qa_service.api.contract.base import Limits
from qa_service.api.openapi import openapi_document
from qa_service.settings import Settings
from tests.qa_service.apps import app_for
from tests.qa_service.intake_testlib import copy_index
from tests.qa_service.servers import serve

schema = schemathesis.openapi.from_dict(openapi_document(Limits.from_settings(Settings.from_env())))
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
SAME_ORIGIN = {"X-Requested-With": "schemathesis"}  # a write without keys must carry it (access.py)


@pytest.fixture(scope="module")
def writable_app(built_index, encoder, tmp_path_factory):
    from qa_service.service import QAService

    settings = copy_index(built_index, tmp_path_factory.mktemp("contract") / "idx")
    return app_for(QAService.from_settings(settings, encoder), encoder=encoder)


@pytest.fixture(scope="module")
def base_url(writable_app):
    with serve(writable_app) as base:
        yield base


def test_served_document_is_the_one_tested(app):
    assert app.test_client().get("/openapi.json").get_json() == openapi_document(
        Limits.from_settings(Settings.from_env()))


@schema.exclude(path="/admin/reload").parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, base_url):
    case.call_and_validate(base_url=base_url, headers=SAME_ORIGIN)
