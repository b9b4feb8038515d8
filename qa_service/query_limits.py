"""What the service accepts as a question and as `top_k`, checked once, by the service itself.

Every face gets the same refusal with the same code and message: the HTTP API (as a 422 JSON error),
`qa ask` / `qa search` (exit status 2) and the in-process evaluation (through the API). The HTTP contract
(qa_service/api/contract.py) publishes the same bounds in /openapi.json.
"""
from __future__ import annotations

from dataclasses import dataclass

TOP_K_MIN, TOP_K_MAX = 1, 50  # passages a request may ask for; QA_TOP_K must lie in the same range


class QueryRefused(ValueError):
    """A question or top_k the service does not take; `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TextRule:
    """How the refusals of one text input are worded (the API's messages name its field)."""

    empty: str
    too_long: str  # with {limit}


QUERY = TextRule("'query' must not be empty", "'query' is longer than {limit} characters")
QUESTION = TextRule("'question' must not be empty", "'question' is longer than {limit} characters")
LAST_USER_MESSAGE = TextRule("the last user message is empty", "the question is longer than {limit} characters")


def checked_text(value: str, max_chars: int, rule: TextRule = QUESTION) -> str:
    """The text stripped of surrounding white space; refused when blank or longer than `max_chars`."""
    if not value.strip():
        raise QueryRefused("empty_field", rule.empty)
    if len(value) > max_chars:
        raise QueryRefused("too_long", rule.too_long.format(limit=max_chars))
    return value.strip()


def checked_top_k(top_k: int) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise QueryRefused("invalid_type", "'top_k' must be an integer")
    if not TOP_K_MIN <= top_k <= TOP_K_MAX:
        raise QueryRefused("out_of_range", f"'top_k' must be between {TOP_K_MIN} and {TOP_K_MAX}")
    return top_k
