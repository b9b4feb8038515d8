"""Request bodies of the JSON endpoints: validated by these models and published from them in /openapi.json.

The question and `top_k` checks are the service's own (qa_service/query_limits.py): the models call them so
that the API refuses before any work, in the same order and words as the service would.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from qa_service.api.contract.base import Published, RequestModel, refused
from qa_service.api.contract.filters import CheckedFilters
from qa_service.query_limits import (LAST_USER_MESSAGE, QUERY, QUESTION, TOP_K_MAX, TOP_K_MIN, QueryRefused,
                                     TextRule, checked_text, checked_top_k)
from qa_service.search_filter import SearchFilter

_QUESTION_BOUNDS = Published(of_limits=lambda limits: {"minLength": 1, "maxLength": limits.max_question_chars,
                                                       "pattern": r"\S"})


def _text(rule: TextRule) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        try:
            return checked_text(value, info.context.max_question_chars, rule)
        except QueryRefused as exc:
            raise refused(exc) from None

    return AfterValidator(check)


def _top_k(value: int) -> int:
    try:
        return checked_top_k(value)
    except QueryRefused as exc:
        raise refused(exc) from None


Query = Annotated[str, _text(QUERY), _QUESTION_BOUNDS]
Question = Annotated[str, _text(QUESTION), _QUESTION_BOUNDS]
TopK = Annotated[int, AfterValidator(_top_k), Published(of_limits=lambda limits: {
    "minimum": TOP_K_MIN, "maximum": TOP_K_MAX, "default": limits.default_top_k})]


class _TopKDefault(RequestModel):
    """`top_k` when the body leaves it out is QA_TOP_K (an explicit null is refused like any non-integer)."""

    @model_validator(mode="before")
    @classmethod
    def _default_top_k(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "top_k" not in data:
            return {**data, "top_k": info.context.default_top_k}
        return data


class SearchRequest(_TopKDefault):
    query: Query
    top_k: TopK = None  # type: ignore[assignment]  (never used: QA_TOP_K is filled in when absent)
    filters: CheckedFilters | None = None

    @property
    def search_filter(self) -> SearchFilter | None:
        return None if self.filters is None else self.filters.search_filter()


class AskRequest(_TopKDefault):
    question: Question
    top_k: TopK = None  # type: ignore[assignment]
    stream: bool = False
    filters: CheckedFilters | None = None

    @property
    def search_filter(self) -> SearchFilter | None:
        return None if self.filters is None else self.filters.search_filter()


# --- POST /v1/chat/completions (OpenAI Chat Completions) --------------------------------------------------------

class ContentPart(RequestModel):
    """One part of a message's content list; the text of the "text" parts is the message's text."""

    type: str
    text: str = None  # type: ignore[assignment]  (absent, never null)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("empty_field", "blank")  # worded by _message_error, which knows the index
    return value


def _holds_text(parts: list[ContentPart]) -> list[ContentPart]:
    if not any(p.type == "text" and isinstance(p.text, str) and p.text.strip() for p in parts):
        raise PydanticCustomError("invalid_messages", "no text")  # worded by _message_error
    return parts


_TEXT = {"type": "string", "minLength": 1, "pattern": r"\S"}
# "Some part is a text part with text", as OpenAPI 3.0 can say it: not (every part is not one).
_SOME_TEXT_PART = {"not": {"type": "array", "items": {"not": {
    "type": "object", "required": ["type", "text"],
    "properties": {"type": {"type": "string", "enum": ["text"]}, "text": _TEXT}}}}}


class UserMessage(RequestModel):
    """A user turn holds text, as a string or in a text part. The last one is the question; earlier ones are
    held to the same rule, since the contract can say "every user message" but not "the last one"."""

    role: Literal["user"]
    content: Annotated[str, AfterValidator(_not_blank), Published({"minLength": 1, "pattern": r"\S"})] | \
        Annotated[list[ContentPart], AfterValidator(_holds_text), Published(_SOME_TEXT_PART)]


class OtherMessage(RequestModel):
    """System, developer, assistant and tool turns: earlier context only (an assistant turn that called tools
    has no content)."""

    role: Literal["system", "developer", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


Message = Annotated[Union[UserMessage, OtherMessage], Field(discriminator="role")]
ROLES = ("system", "developer", "user", "assistant", "tool")


def text_of(content: str | list[ContentPart] | None) -> str | None:
    """A message's text: the string, or the text parts of a content list joined (None when it has none)."""
    if isinstance(content, str):
        return content
    if content:
        parts = [p.text for p in content if p.type == "text"]
        if parts and all(isinstance(p, str) for p in parts):
            return "".join(parts)
    return None


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_messages", message)


def _conversation(value: Any, handler, info: ValidationInfo) -> list[Any]:
    """The messages, checked in the order the service always checked them; the last user message (stripped)
    is the question, refused like any question when blank or too long."""
    if not isinstance(value, list) or not value:
        raise _invalid("'messages' must be a non-empty list of {role, content} objects")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value):
        raise _invalid("every message must be an object with a string 'role'")
    last_user = max((i for i, m in enumerate(value) if m["role"] == "user"), default=None)
    try:
        messages = handler(value)
    except ValidationError as exc:
        raise _message_error(exc.errors(), value, last_user) from None
    if last_user is None:
        raise _invalid("no user message to answer")
    text = text_of(messages[last_user].content)
    if text is None:
        raise _invalid("the last user message must have text content")
    try:
        checked_text(text, info.context.max_question_chars, LAST_USER_MESSAGE)
    except QueryRefused as exc:
        raise refused(exc) from None
    return messages


def _message_error(errors: list[dict[str, Any]], messages: list[dict[str, Any]], last_user: int | None
                   ) -> PydanticCustomError:
    """The refusal of the first message that does not fit (pydantic reports each branch of its content type)."""
    index = errors[0]["loc"][0]
    kinds = {e["type"] for e in errors if e["loc"][0] == index}
    role, content = messages[index]["role"], messages[index].get("content")
    if role not in ROLES:
        return _invalid(f"message {index}: 'role' must be one of {', '.join(ROLES)}")
    if index == last_user:
        if isinstance(content, str):
            return PydanticCustomError("empty_field", LAST_USER_MESSAGE.empty)
        return _invalid("the last user message must have text content")
    if role == "user" and isinstance(content, str):
        return PydanticCustomError("empty_field", f"message {index} (user) is empty")
    if role == "user" and "invalid_messages" in kinds:
        return _invalid(f"message {index} (user) has no text: a user message holds text, as a string or in a "
                        "part of type 'text'")
    what = "a string or a list of content parts" + ("" if role == "user" else ", or null")
    return _invalid(f"message {index}: 'content' must be {what}, each part an object with a string 'type' "
                    "(and a string 'text')")


class StreamOptions(RequestModel):
    include_usage: bool = False  # a last chunk with `usage` (and no choices) before [DONE], as OpenAI sends


class ChatRequest(_TopKDefault):
    messages: Annotated[list[Message], WrapValidator(_conversation), Published({
        "minItems": 1, "not": {"type": "array", "items": {"not": {
            "type": "object", "required": ["role"], "properties": {"role": {"type": "string", "enum": ["user"]}}}}},
    })]
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    top_k: TopK = None  # type: ignore[assignment]  (QA_TOP_K when absent)
    filters: CheckedFilters | None = None

    @property
    def search_filter(self) -> SearchFilter | None:
        return None if self.filters is None else self.filters.search_filter()

    @property
    def history_and_question(self) -> tuple[list[tuple[str, str]], str]:
        """Earlier user/assistant turns that hold text, and the last user message (stripped)."""
        last = max(i for i, m in enumerate(self.messages) if m.role == "user")
        history = [(m.role, t) for m in self.messages[:last]
                   if m.role in ("user", "assistant") and (t := text_of(m.content))]
        return history, text_of(self.messages[last].content).strip()  # type: ignore[union-attr]

