"""Response bodies: the routes (and `qa ask --json`) serialise through these models, and /openapi.json is
generated from them, so what is documented is what is sent.

Built with `model_construct` from the service's own results (no validation: they are ours); schemathesis
checks every response against the generated document (tests/qa_service/api/test_openapi_contract.py).
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from qa_service.api.contract.base import OMITTED, Published, ResponseModel
from qa_service.document_records import DocumentRecord
from qa_service.types import Answer as AnswerResult
from qa_service.types import Citation as CitationResult
from qa_service.types import Passage as PassageResult
from qa_service.types import UnsupportedClaim as ClaimResult

Page = Annotated[int | None, OMITTED, Published({"minimum": 1})]


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

    @classmethod
    def fields_of(cls, p: PassageResult) -> dict[str, Any]:
        c = p.chunk
        return {"id": c.id, "doc": c.doc, "title": c.title, "section": c.section, "text": c.text,
                "score": round(float(p.score), 6),
                "scores": {k: round(float(v), 6) for k, v in p.component_scores.items()},
                "line_start": c.line_start, "line_end": c.line_end, "start": c.start, "end": c.end,
                "page": c.page, "page_end": None if c.page is None else (c.page_end or c.page)}

    @classmethod
    def of(cls, p: PassageResult) -> "Passage":
        return cls.model_construct(**cls.fields_of(p))


class Citation(Passage):
    """A cited passage: `ref` is the n of the answer's [n] markers, `quote` the sentence the answer rests on."""

    first: ClassVar[tuple[str, ...]] = ("ref",)  # as clients have always seen it: {"ref", ...passage, "quote"}
    ref: Annotated[int, Published({"minimum": 1})]
    quote: str

    @classmethod
    def of(cls, c: CitationResult) -> "Citation":  # type: ignore[override]
        return cls.model_construct(ref=c.ref, **Passage.fields_of(c.passage), quote=c.quote)


class UnsupportedClaim(ResponseModel):
    claim: str
    kind: Literal["number", "entity"]
    sentence: str
    refs: list[int]

    @classmethod
    def of(cls, c: ClaimResult) -> "UnsupportedClaim":
        return cls.model_construct(claim=c.claim, kind=c.kind, sentence=c.sentence, refs=list(c.refs))


def answer_fields(a: AnswerResult) -> dict[str, Any]:
    """What every answer carries: in /v1/ask, a chat completion and the last event of a streamed one."""
    return {"answerable": a.answerable, "citations": [Citation.of(c) for c in a.citations], "generator": a.generator,
            "notice": a.notice or None,
            "unsupported_claims": [UnsupportedClaim.of(c) for c in a.unsupported_claims] or None}


class Answer(ResponseModel):
    question: str
    answer: str
    answerable: bool
    citations: list[Citation]
    confidence: float
    generator: str
    notice: Annotated[str | None, OMITTED] = None
    unsupported_claims: Annotated[list[UnsupportedClaim] | None, OMITTED] = None

    @classmethod
    def of(cls, question: str, a: AnswerResult) -> "Answer":
        return cls.model_construct(question=question, answer=a.answer, confidence=round(float(a.confidence), 4),
                                   **answer_fields(a))


class SearchResults(ResponseModel):
    query: str
    results: list[Passage]

    @classmethod
    def of(cls, query: str, passages: list[PassageResult]) -> "SearchResults":
        return cls.model_construct(query=query, results=[Passage.of(p) for p in passages])


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
    status: Annotated[Literal["added", "updated", "unchanged"] | None, OMITTED] = None

    @classmethod
    def of(cls, record: DocumentRecord, status: str | None = None) -> "Document":
        return cls.model_construct(**record.public(), status=status)


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


class Info(ResponseModel):
    model: str
    retriever: str
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
    finish_reason: Literal["stop"]


class Usage(ResponseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(ResponseModel):
    id: str
    created: int
    model: str
    object: Literal["chat.completion"]
    choices: list[Choice]
    usage: Usage
    citations: list[Citation]
    answerable: bool
    generator: str
    question: str
    notice: Annotated[str | None, OMITTED] = None
    unsupported_claims: Annotated[list[UnsupportedClaim] | None, OMITTED] = None

    @classmethod
    def of(cls, base: dict[str, Any], question: str, a: AnswerResult) -> "ChatCompletion":
        choice = Choice.model_construct(index=0, finish_reason="stop",
                                        message=ChatMessageOut.model_construct(role="assistant", content=a.answer))
        return cls.model_construct(**base, object="chat.completion", choices=[choice], question=question,
                                   usage=Usage.model_construct(prompt_tokens=0, completion_tokens=0, total_tokens=0),
                                   **answer_fields(a))
