"""POST /v1/feedback and GET /v1/feedback: the rating of an answer by its id, and the ratings an admin reads."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from qa_service.api.contract.base import Published, RequestModel, ResponseModel
from qa_service.api.errors import ApiError

MAX_COMMENT_CHARS = 2000
MAX_LISTED = 1000
DEFAULT_LISTED = 100
ANSWER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ANSWER_ID = re.compile(ANSWER_ID_PATTERN)


def _answer_id(value: str) -> str:
    if not _ANSWER_ID.fullmatch(value):
        raise PydanticCustomError("invalid_value", "'answer_id' must be the `answer_id` of an answer (or the `id` of "
                                                   "a chat completion): 1-64 of A-Z a-z 0-9 _ -")
    return value


def _rating(value: str) -> str:
    if value not in ("up", "down"):
        raise PydanticCustomError("invalid_value", "'rating' must be \"up\" or \"down\"")
    return value


def _comment(value: str) -> str:
    if len(value) > MAX_COMMENT_CHARS:
        raise PydanticCustomError("too_long", f"'comment' has {len(value)} characters; at most "
                                              f"{MAX_COMMENT_CHARS} are accepted")
    return value.strip()


class FeedbackRequest(RequestModel):
    answer_id: Annotated[str, AfterValidator(_answer_id), Published({"pattern": ANSWER_ID_PATTERN, "minLength": 1,
                                                                     "maxLength": 64})]
    rating: Annotated[str, AfterValidator(_rating), Published({"enum": ["up", "down"]})]
    comment: Annotated[str, AfterValidator(_comment), Published({"maxLength": MAX_COMMENT_CHARS})] = ""


class FeedbackRecorded(ResponseModel):
    answer_id: str
    rating: Literal["up", "down"]
    comment: str
    rated_at: str
    replaced: Annotated[bool, Published(description="true when this replaced an earlier rating of the answer "
                                                    "(200); false for the first one (201)")]


class RatedCitation(ResponseModel):
    ref: int
    doc: str
    passage_id: str
    section: str
    quote: str


class RatedAnswer(ResponseModel):
    answer_id: str
    kb: str
    index_version: str | None
    answered_at: str
    question: str
    answer: str
    answerable: bool
    citations: list[RatedCitation]
    rating: Literal["up", "down"]
    comment: str
    rated_at: str
    reviewed: Annotated[bool, Published(description="settled by a reviewer (`qa feedback review`)")]


class FeedbackListing(ResponseModel):
    kb: str
    ratings: list[RatedAnswer]


def listing_query(args: Any) -> tuple[str | None, int]:
    """GET /v1/feedback's query: rating (up, down, all) and limit (1-1000); the knowledge base is the path's."""
    rating = args.get("rating", "all")
    if rating not in ("up", "down", "all"):
        raise ApiError(422, "invalid_value", "'rating' must be up, down or all")
    limit_text = args.get("limit", str(DEFAULT_LISTED))
    if not limit_text.isascii() or not limit_text.isdigit():
        raise ApiError(422, "invalid_type", "'limit' must be an integer")
    limit = int(limit_text)
    if not 1 <= limit <= MAX_LISTED:
        raise ApiError(422, "out_of_range", f"'limit' must be between 1 and {MAX_LISTED}")
    return None if rating == "all" else rating, limit


LISTING_PARAMETERS = [
    {"name": "rating", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["up", "down", "all"], "default": "all"}},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LISTED, "default": DEFAULT_LISTED}},
]
