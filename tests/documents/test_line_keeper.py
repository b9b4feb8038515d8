from documents import DocumentPipeline, line_at
from documents.cleaning.line_keeper import keep_lines
from documents.models import SourceDocument

RAW = " 为全面落实《国务院关于大力推进大众创业万众创新若\n\n干政策措施的意见》\n\n2\n\n一、基础条件\n"


def _source(text):
    return SourceDocument(path="x.txt", name="x.txt", text=text, encoding="utf-8", sha256="0" * 64)


def test_every_non_empty_line_is_kept_unchanged_and_anchored():
    cleaned = keep_lines(_source(RAW))
    assert cleaned.text.split("\n") == [" 为全面落实《国务院关于大力推进大众创业万众创新若", "干政策措施的意见》", "2", "一、基础条件"]
    assert [line_at(cleaned, cleaned.text.index(s)) for s in ("干政策", "一、")] == [3, 7]


def test_pipeline_takes_another_cleaner(tmp_path):
    (tmp_path / "x.txt").write_text(RAW, encoding="utf-8")
    chunks = DocumentPipeline(cleaner=keep_lines).run([tmp_path]).chunks
    assert "若\n干政策" in "".join(c.text for c in chunks)  # nothing joined
