"""Filters inside the retrievers, on a real index (real model, real FAISS): every result passes the filter and
top_k results still come back when the filter allows that many (a post-filter of the unfiltered top k would
not), for BM25 alone, dense alone and hybrid; by document, format, title and section prefix, and date."""
from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from qa_service.document_records import DocumentRecord
from qa_service.retrievers.filters import NO_MATCH_NOTICE, FilterResolver
from qa_service.search_filter import SearchFilter
from tests.conftest import needs_milvus
from tests.qa_service.filter_corpus import BULLETIN, CETC, HAIDIAN, NOTICE

QUESTION = "中国电科双创示范基地的建设目标是什么？"
RETRIEVERS = ["bm25", "dense", "hybrid"]


@pytest.fixture(scope="module")
def services(filter_settings, encoder):
    from qa_service.service import QAService

    return {name: QAService.from_settings(filter_settings.with_overrides(retriever=name), encoder)
            for name in RETRIEVERS}


@pytest.fixture(scope="module")
def records(services) -> dict[str, DocumentRecord]:
    manifest = services["hybrid"]._require().index.manifest
    return {r.name: r for r in (DocumentRecord.from_dict(d, manifest.created_at) for d in manifest.documents)}


def test_records_hold_the_date_the_text_states(records):
    assert records[BULLETIN].date == "2021-10-04" and records[NOTICE].date == "2016-05-20"
    assert records[HAIDIAN].date is None and records[HAIDIAN].dated == records[HAIDIAN].added_at[:10]
    assert records[NOTICE].format == "html" and records[BULLETIN].format == "markdown"


@pytest.mark.parametrize("retriever", RETRIEVERS)
@pytest.mark.parametrize("named", ["name", "stem", "id"])
def test_a_document_filter_returns_top_k_of_that_document_only(services, records, retriever, named):
    service = services[retriever]
    value = {"name": HAIDIAN, "stem": HAIDIAN[:-4], "id": records[HAIDIAN].id}[named]
    unfiltered = service.search(QUESTION, 5)
    assert sum(p.chunk.doc == HAIDIAN for p in unfiltered) < 5  # a post-filter of these would come back short
    found = service.search(QUESTION, 5, SearchFilter(documents=(value,)))
    assert len(found) == 5 and {p.chunk.doc for p in found} == {HAIDIAN}


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_the_first_stage_gives_the_exact_top_of_the_allowed_rows(services, retriever):
    """Not merely "results inside the filter": the very rows a search of the allowed rows alone ranks first."""
    chain, index = services[retriever]._require().chain, services[retriever]._require().index
    query = chain.query(QUESTION, 5, SearchFilter(documents=(HAIDIAN,)))
    allowed = query.allowed.rows
    if retriever == "bm25":
        scores = index.bm25.token_scores(query.tokens)[allowed]
    else:
        scores = index.vectors.similarities(query.vector, allowed)
    top = [int(allowed[i]) for i in np.lexsort((allowed, -scores))[:query.retrieve_k]]
    got = [index.chunks.index(p.chunk) for p in chain.retriever.retrieve(query)]
    assert got == top[:len(got)] and len(got) == min(query.retrieve_k, int((scores > 0).sum()))


@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_format_filters(services, retriever):
    service = services[retriever]
    assert {p.chunk.doc for p in service.search("双创示范基地", 5, SearchFilter(formats=("md",)))} == {BULLETIN}
    other = service.search("政策动态 众创空间 评价指标", 5, SearchFilter(formats=("html", "txt")))
    assert len(other) == 5 and BULLETIN not in {p.chunk.doc for p in other}


@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_section_and_title_prefix_filters(services, retriever):
    service = services[retriever]
    chunks = service._require().index.chunks
    sections = [c.section for c in chunks if c.doc == CETC and c.section]
    prefix = max(set(s.split(" > ")[0] for s in sections), key=lambda s: sum(x.startswith(s) for x in sections))
    assert sum(s.startswith(prefix) for s in sections) >= 5
    found = service.search(QUESTION, 5, SearchFilter(section_prefix=prefix))
    assert len(found) == 5 and all(p.chunk.section.startswith(prefix) for p in found)
    title = next(c.title for c in chunks if c.doc == HAIDIAN)[:4]
    found = service.search(QUESTION, 5, SearchFilter(title_prefix=title))
    assert len(found) == 5 and all(p.chunk.title.startswith(title) for p in found)


@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_date_filters_use_the_stated_date_else_the_day_added(services, records, retriever):
    service = services[retriever]
    october = SearchFilter(date_from="2021-10-01", date_to="2021-10-31")
    assert {p.chunk.doc for p in service.search("双创示范基地建设", 5, october)} == {BULLETIN}
    assert {p.chunk.doc for p in service.search("双创示范基地建设", 5, SearchFilter(date_to="2020-12-31"))} == {NOTICE}
    added = records[HAIDIAN].added_at[:10]
    since_added = {p.chunk.doc for p in service.search("双创示范基地建设", 10, SearchFilter(date_from=added))}
    assert since_added and since_added <= {HAIDIAN, CETC}


@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_a_filter_matching_nothing_is_an_honest_empty_answer(services, retriever):
    service = services[retriever]
    nothing = SearchFilter(documents=("无此文档.txt",))
    assert service.search(QUESTION, 5, nothing) == []
    answer = service.ask(QUESTION, 5, filters=nothing)
    assert (answer.answerable, answer.citations, answer.notice) == (False, [], NO_MATCH_NOTICE)
    *pieces, streamed = list(service.ask_stream(QUESTION, 5, filters=nothing))
    assert "".join(pieces) == answer.answer and streamed.notice == NO_MATCH_NOTICE
    assert service.search(QUESTION, 5, SearchFilter(date_from="2030-01-01", date_to="2020-01-01")) == []


@pytest.mark.parametrize("retriever", RETRIEVERS)
def test_every_citation_of_a_filtered_answer_is_of_the_allowed_document(services, retriever):
    answer = services[retriever].ask("海淀区有多少所高等院校？", 5, filters=SearchFilter(documents=(CETC,)))
    assert all(c.passage.chunk.doc == CETC for c in answer.citations)
    answer = services[retriever].ask("海淀区有多少所高等院校？", 5, filters=SearchFilter(documents=(HAIDIAN,)))
    assert answer.citations and all(c.passage.chunk.doc == HAIDIAN for c in answer.citations)


def test_resolutions_are_remembered_per_version_and_bounded(services):
    components = services["hybrid"]._require()
    resolver = components.chain.filters
    first = resolver.resolve(SearchFilter(documents=(HAIDIAN,)))
    assert resolver.resolve(SearchFilter(documents=(HAIDIAN,))) is first
    assert resolver.resolve(SearchFilter()) is None and resolver.resolve(None) is None
    index = components.index
    small = FilterResolver(index.chunks, [], [c.doc for c in index.chunks], [c.id for c in index.chunks], remembered=2)
    filters = [SearchFilter(title_prefix=t) for t in ("北", "中", "南")]
    resolved = [small.resolve(f) for f in filters]
    assert small.resolve(filters[2]) is resolved[2] and small.resolve(filters[0]) is not resolved[0]


def test_a_record_written_before_stated_dates_is_dated_by_when_it_was_added(records):
    old = {k: v for k, v in records[BULLETIN].to_dict().items() if k != "date"}
    record = DocumentRecord.from_dict(old)
    assert record.date is None and record.dated == record.added_at[:10]
    assert SearchFilter(date_to="2021-12-31").admits(dataclasses.replace(record, added_at="2021-01-02T00:00:00"))


@pytest.fixture(scope="module")
def milvus_service(filter_settings, encoder, tmp_path_factory):
    from qa_service.ingestion import IngestionService
    from qa_service.service import QAService

    root = tmp_path_factory.mktemp("filters-milvus")
    shutil.copytree(filter_settings.index_dir, root / "idx")
    settings = filter_settings.with_overrides(index_dir=root / "idx", vector_store="milvus", retriever="dense",
                                              milvus_uri=str(root / "lite.db"), milvus_collection="filters")
    ingestion = IngestionService(settings, encoder)
    assert ingestion.mirror_current() is True
    ingestion.vector_backend.close()
    service = QAService.from_settings(settings, encoder)
    yield service
    service.vector_backend.close()


@needs_milvus
def test_milvus_filters_by_its_expression_and_gives_the_same_rows_as_faiss(milvus_service, services):
    for wanted in (SearchFilter(documents=(HAIDIAN,)), SearchFilter(formats=("md", "html")),
                   SearchFilter(title_prefix=HAIDIAN[:4])):
        got = milvus_service.search(QUESTION, 5, wanted)
        assert len(got) == 5
        assert [p.chunk.id for p in got] == [p.chunk.id for p in services["dense"].search(QUESTION, 5, wanted)]
    assert milvus_service.search(QUESTION, 5, SearchFilter(documents=("无此文档",))) == []
