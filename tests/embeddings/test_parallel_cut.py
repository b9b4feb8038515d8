"""The BM25 cut spread over processes gives exactly the tokens of one process, in order."""
from embeddings.lexical import parallel_cut
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from tests.conftest import CORPUS


def _passages() -> list[str]:
    lines = [line.strip() for path in sorted(CORPUS.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:300]


def test_two_processes_cut_the_same_tokens_in_the_same_order(monkeypatch):
    monkeypatch.setattr(parallel_cut, "PARALLEL_MIN_TEXTS", 50)
    monkeypatch.setattr(parallel_cut, "_BATCH", 7)  # many batches: their order must survive the pool
    texts = _passages()
    for tokenizer in (ChineseTokenizer(), ChineseTokenizer(mode="precise", stop_words=False)):
        assert parallel_cut.cut_many(tokenizer, texts, workers=2) == [tokenizer(t) for t in texts]


def test_few_texts_are_cut_here_without_workers(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for a few texts")

    monkeypatch.setattr(parallel_cut, "ProcessPoolExecutor", no_pool)
    texts = _passages()[:20]
    assert parallel_cut.cut_many(ChineseTokenizer(), texts, workers=2) == [ChineseTokenizer()(t) for t in texts]


def test_a_pool_that_cannot_start_falls_back_to_one_process(monkeypatch):
    def failing_pool(*args, **kwargs):
        raise OSError("no processes left")

    monkeypatch.setattr(parallel_cut, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(parallel_cut, "ProcessPoolExecutor", failing_pool)
    texts = _passages()[:40]
    assert parallel_cut.cut_many(ChineseTokenizer(), texts, workers=2) == [ChineseTokenizer()(t) for t in texts]
