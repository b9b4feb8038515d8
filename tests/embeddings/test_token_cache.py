"""The BM25 token cache: the same tokens as cutting afresh, only new texts cut, pruned to the current texts."""
import sqlite3

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.token_cache import TokenCache

TEXTS = ["海淀区目前有北大、清华等高等院校 33 所。", "中国电科双创示范基地启动阶段的主要任务。", "加快建设科技强国。"]


def test_cached_tokens_equal_fresh_ones_and_only_new_texts_are_cut(tmp_path):
    tokenizer = ChineseTokenizer()
    first = TokenCache(tmp_path / "tokens.sqlite", tokenizer)
    assert first.tokenize_all(TEXTS) == [tokenizer(t) for t in TEXTS] and first.misses == 3
    second = TokenCache(tmp_path / "tokens.sqlite", tokenizer)
    more = [*TEXTS, "推进科技成果转化。"]
    assert second.tokenize_all(more) == [tokenizer(t) for t in more]
    assert (second.hits, second.misses) == (3, 1)


def test_other_tokenizer_settings_never_share_tokens(tmp_path):
    TokenCache(tmp_path / "tokens.sqlite", ChineseTokenizer(mode="search")).tokenize_all(TEXTS)
    precise = TokenCache(tmp_path / "tokens.sqlite", ChineseTokenizer(mode="precise"))
    assert precise.tokenize_all(TEXTS) == [ChineseTokenizer(mode="precise")(t) for t in TEXTS] and precise.hits == 0


def test_cache_is_pruned_to_the_current_texts_and_a_damaged_file_is_replaced(tmp_path):
    path = tmp_path / "tokens.sqlite"
    TokenCache(path, ChineseTokenizer()).tokenize_all(TEXTS)
    TokenCache(path, ChineseTokenizer()).tokenize_all(TEXTS[:1])
    assert sqlite3.connect(path).execute("SELECT count(*) FROM tokens").fetchone() == (1,)
    path.write_bytes(b"not a database" * 100)
    cache = TokenCache(path, ChineseTokenizer())
    assert cache.tokenize_all(TEXTS) == [ChineseTokenizer()(t) for t in TEXTS] and cache.misses == 3
