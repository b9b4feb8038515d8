"""What a `qa` process imports before it does its work: every command starts a new process, so a library a command
does not use (the chunker's text splitters, the PDF/DOCX/HTML parsers, jieba's tagger, bm25s) must not be imported
on the way. Each check runs in a fresh interpreter, as the command does, and reads `sys.modules`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from documents.loaders import default_registry
from documents.loaders import file_types
from documents.ocr.options import OcrOptions
from qa_service.settings import PROJECT_ROOT

CHUNKING = ("langchain_text_splitters", "langchain_core")
PARSERS = ("pypdf", "docx", "bs4")
TAGGER = ("jieba.posseg",)
SEARCH = ("bm25s", "scipy.sparse", "torch", "sentence_transformers")
HEAVY = CHUNKING + PARSERS + TAGGER + SEARCH


def _imported_after(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter has imported after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                     os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_document_models_import_no_chunker_and_no_parser():
    assert _imported_after("import documents.models, documents.errors, documents") == []


def test_qa_help_imports_none_of_the_heavy_libraries():
    code = ("import contextlib, io\nfrom qa_service.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['docs', 'add', '--help'])")
    assert _imported_after(code) == []


def test_qa_docs_list_reads_the_index_without_chunker_parsers_tagger_or_model(built_index):
    code = ("import contextlib, io\nfrom qa_service.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    assert main(['docs', 'list', '--index', {str(built_index.index_dir)!r}]) == 0\n"
            "assert 'chunks' in out.getvalue(), out.getvalue()")
    assert _imported_after(code) == []


def test_a_serving_index_loads_the_tagger_before_the_first_question():
    """The tagger is imported on first use, and EntityGrounding (built when an index is loaded, in warm-up) is
    that use: the first question does not pay for it."""
    code = ("import sys\nfrom qa_service.understanding.entity_grounding import EntityGrounding\n"
            "assert 'jieba.posseg' not in sys.modules\nEntityGrounding(['北京市海淀区'])")
    assert _imported_after(code) == ["jieba.posseg"]


def test_the_supported_types_are_the_default_registrys():
    assert file_types.SUPPORTED_EXTENSIONS == default_registry().extensions
    assert file_types.SUPPORTED_EXTENSIONS - file_types.IMAGE_EXTENSIONS == \
        default_registry(OcrOptions(enabled=False)).extensions
