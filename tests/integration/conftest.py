"""One real `qa serve` process (waitress) on a free loopback port, shared by the integration tests."""
import pytest


@pytest.fixture(scope="session")
def server(built_index):
    from tests.integration.misbehaving_clients import qa_serve

    # The load test's 32 clients all come from 127.0.0.1: the per-client bounds would count them as one client.
    with qa_serve(built_index.index_dir, "--host", "127.0.0.1", ready_within=120, QA_MAX_REQUESTS_PER_CLIENT="0",
                  QA_MAX_CONNECTIONS_PER_CLIENT="0") as (base, _):
        yield base


@pytest.fixture(scope="session")
def two_workers(built_index, tmp_path_factory):
    """One real `qa serve --workers 2 --threads 2` (gunicorn) on a copy of the test index, shared by the tests of
    what two worker processes must agree on (tests/integration/test_server.py, test_knowledge_bases_served.py,
    test_document_intake.py): each start is three processes, two of them loading the model. Each test leaves it
    as it found it (what it uploads or creates it deletes); slow-header deadlines are 3 s (HEADER_TIMEOUT) for
    test_server.py's slow clients. Its log goes to a file, so a talkative server never blocks on a full pipe."""
    from tests.integration.misbehaving_clients import HEADER_TIMEOUT, qa_serve
    from tests.qa_service.intake_testlib import copy_index

    root = tmp_path_factory.mktemp("two-workers")
    settings = copy_index(built_index, root / "idx")
    # 8 fresh connections in a row answered: both workers are up
    with qa_serve(settings.index_dir, "--host", "127.0.0.1", "--workers", "2", "--threads", "2", ready_in_a_row=8,
                  log_file=root / "serve.log", QA_EMBEDDING_CACHE=built_index.embedding_cache,
                  QA_HEADER_TIMEOUT=str(HEADER_TIMEOUT)) as (base, _):
        yield base, settings
