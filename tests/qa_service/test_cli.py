"""The `qa` command's choices and defaults come from the settings and the registries, and its refusals are the
service's own."""
from __future__ import annotations

import json

import pytest

import qa_service.composition as composition
from documents.loaders import SUPPORTED_EXTENSIONS
from qa_service.cli import main
from qa_service.settings import Settings


def test_search_takes_its_default_top_k_from_qa_top_k(built_index, shared_model, monkeypatch, capsys):
    monkeypatch.setenv("QA_TOP_K", "2")
    assert main(["search", "海淀区有多少所高等院校？", "--json", "--index", str(built_index.index_dir)]) == 0
    assert len(json.loads(capsys.readouterr().out)["results"]) == 2
    assert main(["search", "海淀区有多少所高等院校？", "--json", "--top-k", "3",
                 "--index", str(built_index.index_dir)]) == 0
    assert len(json.loads(capsys.readouterr().out)["results"]) == 3


def test_ask_json_is_the_api_answer(built_index, shared_model, app, capsys):
    question = "海淀区有多少所高等院校？"
    assert main(["ask", question, "--json", "--index", str(built_index.index_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    served = app.test_client().post("/v1/ask", json={"question": question}).get_json()
    assert served.pop("answer_id").startswith("ans_")  # an HTTP answer is recorded to be rated; the CLI's is not
    assert printed == served and list(printed) == list(served)


@pytest.mark.parametrize("argv,message", [
    (["search", "海淀区", "--top-k", "0"], "'top_k' must be between 1 and 50"),
    (["ask", "   "], "'question' must not be empty"),
])
def test_the_command_refuses_what_the_api_refuses(built_index, shared_model, caplog, argv, message):
    assert main([*argv, "--index", str(built_index.index_dir)]) == 2
    assert message in caplog.text


def test_docs_list_loads_no_model(built_index, monkeypatch, capsys):
    def no_model(spec):
        raise AssertionError("qa docs list loaded the model")

    monkeypatch.setattr(composition, "build_encoder", no_model)
    assert main(["docs", "list", "--index", str(built_index.index_dir)]) == 0
    assert "chunks" in capsys.readouterr().out


def test_choices_come_from_the_settings_and_the_loader_registry(capsys):
    for retriever in Settings.choices("retriever"):
        with pytest.raises(SystemExit) as done:
            main(["search", "x", "--retriever", retriever, "--help"])
        assert done.value.code == 0
    with pytest.raises(SystemExit) as refused:
        main(["search", "x", "--retriever", "magic"])
    assert refused.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["docs", "add", "--help"])
    help_text = capsys.readouterr().out
    assert all(ext in help_text for ext in SUPPORTED_EXTENSIONS)


def test_search_and_ask_take_the_api_filters(filter_settings, shared_model, capsys):
    from tests.qa_service.filter_corpus import BULLETIN, HAIDIAN

    index = ["--index", str(filter_settings.index_dir)]
    assert main(["search", "双创示范基地建设", "--json", "--top-k", "4", "--doc", HAIDIAN, *index]) == 0
    assert [r["doc"] for r in json.loads(capsys.readouterr().out)["results"]] == [HAIDIAN] * 4
    assert main(["search", "双创示范基地建设", "--json", "--format", "md", "--date-from", "2021-10-01", *index]) == 0
    assert {r["doc"] for r in json.loads(capsys.readouterr().out)["results"]} == {BULLETIN}
    assert main(["ask", "海淀区有多少所高等院校？", "--json", "--doc", "no-such-document", *index]) == 0
    assert json.loads(capsys.readouterr().out)["notice"] == "no documents match the filters"


@pytest.mark.parametrize("flags, message", [
    (["--date-from", "2021-13-01"], "'filters.date_from' must be a date written YYYY-MM-DD"),
    (["--format", "exe"], "'filters.formats' must be one of"),
])
def test_a_filter_the_api_refuses_is_refused(built_index, shared_model, caplog, flags, message):
    assert main(["search", "海淀区", *flags, "--index", str(built_index.index_dir)]) == 2
    assert message in caplog.text
