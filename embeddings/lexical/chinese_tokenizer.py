"""Tokenisation of Chinese text for BM25: jieba (search or precise mode), normalised, stop words dropped.

The same tokenizer must be used for the index and for queries, so its configuration is saved with the
BM25 index and restored at load.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import jieba

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_initialised = False

MODES = ("search", "precise")

# Function words and question words: they occur everywhere or only in questions, so they carry no evidence.
STOP_WORDS = frozenset("""
的 了 和 与 及 或 是 在 对 为 以 把 被 由 从 向 于 等 中 上 下 其 之 而 并 也 都 就 又 这 那 该 此 各 个
有 没有 要 会 能 将 已 已经 还 更 最 很 比 给 让 使 到 着 过 吗 呢 吧 啊 呀 么 哪 哪些 哪个 哪几 哪几个 哪家
什么 怎么 怎样 如何 多少 几 几个 几项 几类 多大 多高 多长 多久 哪里 哪儿 谁 是否 是不是 为什么 为何 啥
请问 请 一下 一共 总共 分别 具体 主要 当初 当时 提出 提到 说 指 指的是 具体指 包括 哪一天 哪一年 什么样
方面 通过 进行 以及 关于 根据 按照 按 里 里面 中的 当中 其中 所 们 来 去 做 用 可以 可
""".split())

_SKIP = re.compile(r"^[\W_]+$", re.UNICODE)


def _ensure_initialised() -> None:
    global _initialised
    if not _initialised:
        with _init_lock:
            if not _initialised:
                jieba.initialize()
                _initialised = True


def normalise_for_matching(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class ChineseTokenizer:
    mode: str = "search"  # "search": jieba's search mode adds the sub-words of long words; "precise": one cut
    stop_words: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"tokenizer mode must be one of {', '.join(MODES)}, got {self.mode!r}")

    def __call__(self, text: str) -> list[str]:
        """The tokens of the text, in a new list. jieba's cut is the cost (about 0.1 ms for a question), so the
        query side cuts a question once per request and hands the tokens on."""
        _ensure_initialised()
        text = normalise_for_matching(text)
        pieces = jieba.cut_for_search(text) if self.mode == "search" else jieba.cut(text)
        tokens = []
        for token in pieces:
            token = token.strip()
            if not token or _SKIP.match(token) or (self.stop_words and token in STOP_WORDS):
                continue
            tokens.append(token)
        return tokens

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "jieba", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ChineseTokenizer":
        return cls(mode=data.get("mode", "search"), stop_words=bool(data.get("stop_words", True)))


DEFAULT_TOKENIZER = ChineseTokenizer()


def tokenize(text: str) -> list[str]:
    """Tokens with the default configuration."""
    return DEFAULT_TOKENIZER(text)
