"""Bodies of the knowledge-base routes (GET/POST /v1/kbs, GET/PATCH/DELETE /v1/kbs/<kb>).

Over HTTP a knowledge base may set how its documents are cut and indexed; its embedding model is set only by `qa kb
create --model` on the server's machine, since a model name can make the server download one.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from qa_service.api.contract.base import Published, RequestModel, ResponseModel
from qa_service.knowledge_bases.names import MAX_NAME_CHARS, NAME_PATTERN, InvalidKnowledgeBase, checked_name
from qa_service.knowledge_bases.store import KnowledgeBaseRecord


def _name(value: str) -> str:
    try:
        return checked_name(value)
    except InvalidKnowledgeBase as exc:
        raise PydanticCustomError(exc.code, exc.message) from None


Name = Annotated[str, AfterValidator(_name), Published({"minLength": 1, "maxLength": MAX_NAME_CHARS,
                                                        "pattern": NAME_PATTERN})]


class KnowledgeBaseSettings(RequestModel):
    """The index settings of a knowledge base (QA_CHUNK_TOKENS ...); a field left out is the service's (null is
    refused: the schema of an enum cannot allow it)."""

    chunk_tokens: Annotated[int, Field(ge=32, le=8192)] = None  # type: ignore[assignment]
    chunk_overlap_tokens: Annotated[int, Field(ge=0, le=8191), Published(
        description="smaller than chunk_tokens (the service's QA_CHUNK_TOKENS when that is left out)")] = None  # type: ignore[assignment]
    cleaning: Literal["pdf", "none"] = None  # type: ignore[assignment]
    indexed_text: Literal["title-section-text", "text"] = None  # type: ignore[assignment]
    bm25_tokenizer: Literal["search", "precise"] = None  # type: ignore[assignment]
    bm25_stop_words: bool = None  # type: ignore[assignment]

    def overrides(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class CreateKnowledgeBase(RequestModel):
    name: Name
    settings: KnowledgeBaseSettings | None = None


class RenameKnowledgeBase(RequestModel):
    name: Name


class KnowledgeBase(ResponseModel):
    name: str
    default: Annotated[bool, Published(description="the service's own index (QA_INDEX_DIR): served under /v1/... "
                                                   "too, never renamed or deleted")]
    created_at: Annotated[str | None, Published(description="null for `default`")]
    settings: Annotated[dict[str, Any], Published(description="what it sets for itself; the rest is the "
                                                              "service's")]

    @classmethod
    def of(cls, record: KnowledgeBaseRecord) -> "KnowledgeBase":
        return cls(name=record.name, default=record.is_default, created_at=record.created_at or None,
                   settings=dict(record.overrides))


class KnowledgeBaseList(ResponseModel):
    object: Literal["list"]
    data: list[KnowledgeBase]
