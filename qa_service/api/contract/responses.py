"""Response bodies: the routes (and `qa ask --json`) serialise through these models, and /openapi.json is
generated from them, so what is documented is what is sent.

Each model is built from the service's own results by `of(...)`; schemathesis checks every response against
the generated document (tests/qa_service/api/test_openapi_contract.py).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import create_model

from qa_service.api.contract.base import OMITTED, Published, ResponseModel
from qa_service.citation_footnotes import footnotes
from qa_service.document_records import DocumentRecord
from qa_service.types import Answer as AnswerResult
from qa_service.types import Passage as PassageResult

Page = Annotated[int | None, OMITTED, Published({"minimum": 1})]
Retrieval = Annotated[Literal["lexical", "dense", "hybrid"], Published(
    description='what found the passages: "lexical" (BM25 and the reranker) while the index\'s vectors are still '
                'being made in the background, "hybrid" (BM25 and vectors) once they are')]


class Passage(ResponseModel):
    id: str
    doc: str
    title: str
    section: str
    text: str
    score: float
    scores: dict[str, float]
    line_start: int
    line_end: int
    start: int
    end: int
    page: Annotated[Page, Published(description="1-based page the passage starts on (PDF)")] = None
    page_end: Annotated[Page, Published(description="1-based page the passage ends on (PDF)")] = None
    ocr: Annotated[bool | None, OMITTED,
                   Published(description="true when the passage's text was read by OCR from a scanned page or an "
                                         "image (it may hold misread characters); absent otherwise")] = None

    @staticmethod
    def fields_of(p: PassageResult) -> dict[str, Any]:
        c = p.chunk
        return {"id": c.id, "doc": c.doc, "title": c.title, "section": c.section, "text": c.text,
                "score": round(float(p.score), 6),
                "scores": {k: round(float(v), 6) for k, v in
                           {**p.retrieval.to_dict(), **(p.evidence.to_dict() if p.evidence else {})}.items()},
                "line_start": c.line_start, "line_end": c.line_end, "start": c.start, "end": c.end,
                "page": c.page, "page_end": None if c.page is None else (c.page_end or c.page),
                "ocr": True if c.ocr else None}

    @classmethod
    def of(cls, p: PassageResult) -> "Passage":
        return cls.model_validate(cls.fields_of(p))


# A cited passage: `ref` is the n of the answer's [n] markers, `quote` the sentence the answer rests on. Its
# fields are the passage's, between "ref" and "quote" (the order clients have always had).
Citation = create_model(
    "Citation", __base__=ResponseModel, __module__=__name__, ref=(Annotated[int, Published({"minimum": 1})], ...),
    **{name: (Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation, info)
       for name, info in Passage.model_fields.items()},
    quote=(str, ...))
Citation.extends = Passage


class UnsupportedClaim(ResponseModel):
    claim: str
    kind: Annotated[Literal["number", "entity", "content"], Published(
        description="number (with its unit), entity (a name or quoted term), or content: a sentence no passage "
                    "states (`claim` is the sentence)")]
    sentence: str
    refs: list[int]


FinishReason = Literal["stop", "length", "error"]  # qa_service.types.Answer.finish_reason
Revision = Annotated[Literal["cited", "trimmed", "replaced"] | None, OMITTED, Published(
    description="how the answer differs from the text the LLM wrote (and a stream already sent; show `answer` "
                "instead): cited = the same sentences with citations added or corrected by what they state, "
                "trimmed = sentences no passage states removed, replaced = the extractive answer instead; absent "
                "when the LLM's text is the answer or no LLM was asked")]


class Usage(ResponseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


def usage_of(a: AnswerResult) -> dict[str, int]:
    """The LLM's reported token counts for this answer (zeros when no LLM wrote or it reported none)."""
    u = a.usage
    return {"prompt_tokens": u.prompt_tokens if u else 0, "completion_tokens": u.completion_tokens if u else 0,
            "total_tokens": u.total_tokens if u else 0}


def answer_fields(a: AnswerResult) -> dict[str, Any]:
    """What every answer carries: in /v1/ask, a chat completion and the last event of a streamed one."""
    return {"citations": [{"ref": c.ref, **Passage.fields_of(c.passage), "quote": c.quote} for c in a.citations],
            "answerable": a.answerable, "generator": a.generator, "notice": a.notice or None,
            "unsupported_claims": [{"claim": c.claim, "kind": c.kind, "sentence": c.sentence, "refs": list(c.refs)}
                                   for c in a.unsupported_claims] or None,
            "revision": a.revision}


class Answer(ResponseModel):
    question: str
    answer: str
    answerable: bool
    citations: list[Citation]  # type: ignore[valid-type]
    confidence: float
    generator: str
    notice: Annotated[str | None, OMITTED] = None
    unsupported_claims: Annotated[list[UnsupportedClaim] | None, OMITTED] = None
    finish_reason: Annotated[FinishReason | None, OMITTED, Published(
        description="how the LLM's generation ended when not by itself: length = cut at QA_LLM_MAX_TOKENS "
                    "or the deadline, error = failed or broke off; `notice` says what the answer is instead")] = None
    revision: Revision = None
    usage: Annotated[Usage | None, OMITTED, Published(
        description="the tokens the LLM reported spending on this answer; absent when no LLM was asked or it "
                    "reported none")] = None
    retrieval: Retrieval
    answer_id: Annotated[str | None, OMITTED, Published(
        description="names this answer in POST /v1/feedback (every answer of the HTTP API has one)")] = None

    @classmethod
    def of(cls, question: str, a: AnswerResult, answer_id: str | None = None) -> "Answer":
        return cls.model_validate({"question": question, "answer": a.answer,
                                   "confidence": round(float(a.confidence), 4), **answer_fields(a),
                                   "finish_reason": None if a.finish_reason == "stop" else a.finish_reason,
                                   "usage": usage_of(a) if a.usage else None,
                                   "retrieval": a.retrieval, "answer_id": answer_id})


class SearchResults(ResponseModel):
    query: str
    results: list[Passage]
    retrieval: Retrieval

    @classmethod
    def of(cls, query: str, passages: list[PassageResult], retrieval: str) -> "SearchResults":
        return cls.model_validate({"query": query, "results": [Passage.fields_of(p) for p in passages],
                                   "retrieval": retrieval})


class Document(ResponseModel):
    id: str
    name: str
    origin: Literal["folder", "upload"]
    format: str
    pages: Annotated[int | None, Published({"minimum": 1})]
    chunks: Annotated[int, Published({"minimum": 0})]
    size: Annotated[int | None, Published({"minimum": 0})]
    sha256: str
    added_at: str
    updated_at: str
    date: Annotated[str | None, Published(description="the date the document's text states (YYYY-MM-DD), if "
                                                      "any: what date filters compare, else added_at")] = None
    status: Annotated[Literal["added", "updated", "unchanged"] | None, OMITTED] = None

    @classmethod
    def of(cls, record: DocumentRecord, status: str | None = None) -> "Document":
        return cls.model_validate({**record.public(), "status": status})


class DocumentListing(ResponseModel):
    documents: list[Document]
    uploads: Annotated[bool, Published(description="whether this caller may upload and delete")]
    index_version: str | None
    max_upload_bytes: int
    accepted_types: list[str]


class Status(ResponseModel):
    status: str


class ErrorDetail(ResponseModel):
    code: str
    message: str
    type: Annotated[str | None, OMITTED] = None  # the OpenAI face's errors also carry `type` and `param`
    param: Annotated[str | None, OMITTED] = None


class Error(ResponseModel):
    """Every refusal: {"error": {"code", "message"}} (built by qa_service/api/errors.py)."""

    error: ErrorDetail


class Ready(ResponseModel):
    status: Literal["ready"]
    index_version: str | None


class NotReady(ResponseModel):
    status: Literal["not_ready"]
    error: ErrorDetail


class InfoLimits(ResponseModel):
    max_question_chars: int
    max_upload_bytes: int


class EmbeddingState(ResponseModel):
    state: Annotated[Literal["complete", "embedding", "waiting"], Published(
        description='"complete": hybrid retrieval; "embedding": the vectors are being made in the background '
                    '(answers are lexical meanwhile); "waiting": not started yet (no process has taken it up)')]
    phase: Annotated[str | None, OMITTED, Published(
        description='while embedding: "model" (fetching, exporting, loading it), "passages", "terms", '
                    '"switching"')] = None
    embedded: Annotated[int | None, Published({"minimum": 0}, description="passages with their vector")]
    total: Annotated[int, Published({"minimum": 0}, description="passages of the served version")]
    seconds_left: Annotated[float | None, Published(description="estimated time to hybrid retrieval (passages "
                                                                "at the measured rate); null: not measured yet")]
    updated_at: Annotated[str | None, OMITTED] = None


class Info(ResponseModel):
    model: str
    retriever: str
    retrieval: Annotated[Retrieval | None, Published(description="what answers now; null: nothing loaded")]
    embedding: Annotated[EmbeddingState | None, Published(description="how far the served version's vectors are")]
    reranker: str | None
    answerer: str | None
    ready: bool
    index_version: str | None
    manifest: Annotated[dict[str, Any] | None, Published(description="the index manifest; documents as in "
                                                                     "/v1/documents")]
    uploads: Annotated[bool, Published(description="whether this caller may upload and delete documents (a write "
                                                   "without API keys must also carry X-Requested-With)")]
    limits: InfoLimits


class Reloaded(ResponseModel):
    status: Literal["reloaded"]
    previous: str | None
    index_version: str | None


class ModelEntry(ResponseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(ResponseModel):
    object: Literal["list"]
    data: list[ModelEntry]


class ChatMessageOut(ResponseModel):
    role: Literal["assistant"]
    content: str


class Choice(ResponseModel):
    index: int
    message: ChatMessageOut
    finish_reason: FinishReason


class ChatCompletion(ResponseModel):
    id: Annotated[str, Published(description="also names this answer in POST /v1/feedback")]
    created: int
    model: str
    object: Literal["chat.completion"]
    choices: list[Choice]
    usage: Usage
    citations: list[Citation]  # type: ignore[valid-type]
    answerable: bool
    generator: str
    question: str
    notice: Annotated[str | None, OMITTED] = None
    unsupported_claims: Annotated[list[UnsupportedClaim] | None, OMITTED] = None
    revision: Revision = None

    @classmethod
    def of(cls, base: dict[str, Any], question: str, a: AnswerResult, with_footnotes: bool = False) -> "ChatCompletion":
        """`with_footnotes`: the message text ends with the sources (qa_service/citation_footnotes.py)."""
        content = a.answer + (footnotes(a.citations, a.answer) if with_footnotes else "")
        return cls.model_validate({
            **base, "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": a.finish_reason}],
            "usage": usage_of(a), "question": question,
            **answer_fields(a)})
