"""The `filters` object of /v1/search, /v1/ask and /v1/chat/completions: which passages a request may be
answered from (qa_service/retrievers/filters.py applies it inside every retriever).

Strict: an unknown key, a list longer than its bound, a date that is not YYYY-MM-DD or not a real day is
refused with 422 `invalid_filter` naming the key. A filter that matches nothing is not an error: the request
gets no passages, or the answer that no document matches.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from qa_service.api.contract.base import Published, RequestModel
from qa_service.search_filter import SearchFilter

MAX_DOCUMENTS = 100  # ids or names in one filter
MAX_VALUE_CHARS = 256  # one document id or name, one prefix
FormatName = Literal["text", "txt", "markdown", "md", "html", "htm", "docx", "pdf", "image"]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: str) -> str:
    try:
        if _ISO_DAY.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise PydanticCustomError("invalid_date", "must be a date written YYYY-MM-DD")


Value = Annotated[str, Field(min_length=1, max_length=MAX_VALUE_CHARS)]
Day = Annotated[str, AfterValidator(_iso_day), Published({"format": "date"})]


class Filters(RequestModel):
    """Every given key must hold; the values of one list are alternatives. Dates include both ends."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    documents: Annotated[list[Value], Field(min_length=1, max_length=MAX_DOCUMENTS), Published(
        description="document ids or file names (with or without the extension)")] | None = None
    formats: Annotated[list[FormatName], Field(min_length=1, max_length=9)] | None = None
    title_prefix: Annotated[Value, Published(description="the document title starts with it")] | None = None
    section_prefix: Annotated[Value, Published(
        description="the section path (headings joined by ' > ') starts with it")] | None = None
    date_from: Annotated[Day, Published(description="the document's date (the one its text states, else the "
                                                    "day it was added) is on or after this day")] | None = None
    date_to: Annotated[Day, Published(description="... on or before this day")] | None = None

    def search_filter(self) -> SearchFilter:
        return SearchFilter(tuple(self.documents or ()), tuple(self.formats or ()), self.title_prefix,
                            self.section_prefix, self.date_from, self.date_to)


def _checked(value: Any, handler) -> Filters:
    """Filters, or one 422 `invalid_filter` that names the key and says what it takes."""
    try:
        return handler(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in ("filters", *error["loc"]) if not isinstance(part, int))
        raise PydanticCustomError("invalid_filter", _reason(error["type"], where, error["msg"])) from None


def _reason(kind: str, where: str, message: str) -> str:
    keys = ", ".join(Filters.model_fields)
    if kind == "extra_forbidden":
        return f"'{where}' is not a filter (filters are {keys})"
    if kind in ("model_type", "dict_type"):
        return f"'filters' must be an object with some of {keys}"
    if kind == "too_long" and where.endswith("documents"):
        return f"'{where}' holds at most {MAX_DOCUMENTS} values"
    if kind == "literal_error":
        return f"'{where}' must be one of {', '.join(FormatName.__args__)}"
    return f"'{where}' {message if kind == 'invalid_date' else message[:1].lower() + message[1:]}"


CheckedFilters = Annotated[Filters, WrapValidator(_checked)]
