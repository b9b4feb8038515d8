"""What every contract model shares: strict validation, refusals in the API's own codes and words, responses
that leave out what is absent, and the limits that some published bounds depend on.

Why pydantic: it is already loaded in every process that answers (the openai SDK imports it, so its 90-190 ms
import is paid anyway), and it costs little here: measured with `python -m benchmarks.contract_overhead`
(docs/performance.md), validating a request takes microseconds more than the hand-written checks it replaced and
a 5-citation answer about 0.1 ms more to serialise, against an ask of about 20 ms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from qa_service.api.errors import ApiError
from qa_service.query_limits import QueryRefused
from qa_service.settings import Settings

if TYPE_CHECKING:  # Flask is imported where a response is made: `qa search --json` prints a model without it
    from flask import Response


@dataclass(frozen=True)
class Limits:
    """The settings that bounds and defaults of the contract depend on (validation context, /openapi.json)."""

    max_question_chars: int
    default_top_k: int
    max_upload_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(settings.max_question_chars, settings.top_k, settings.max_upload_bytes)


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Published:
    """OpenAPI keywords a field publishes beyond its type: fixed ones, and ones computed from the `Limits`."""

    keywords: dict[str, Any] | None = None
    of_limits: Callable[[Limits], dict[str, Any]] | None = None
    description: str | None = None

    def resolve(self, limits: Limits) -> dict[str, Any]:
        described = {"description": self.description} if self.description else {}
        return {**(self.keywords or {}), **(self.of_limits(limits) if self.of_limits else {}), **described}


def _is_none(value: Any) -> bool:
    return value is None


# A response field left out when it has no value (rather than sent as null): Annotated[X | None, OMITTED].
OMITTED = Field(exclude_if=_is_none)


def refused(exc: QueryRefused) -> PydanticCustomError:
    """A refusal of the service's own checks (query_limits.py) inside a validator, with its code and message."""
    return PydanticCustomError(exc.code, exc.message)


class RequestModel(BaseModel):
    """A JSON request body: strict types (no "5" for 5, no true for 1), unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    @classmethod
    def parse(cls, body: dict[str, Any], limits: Limits):
        """The body as this model, or the ApiError (422) of its first problem, in the order of the fields."""
        try:
            return cls.model_validate(body, context=limits)
        except ValidationError as exc:
            raise api_error(exc.errors()[0]) from None


class ResponseModel(BaseModel):
    """A JSON response body: the routes build it from the service's results (validated, in pydantic's core: our
    own data, but a wrong type here is a bug worth a 500) and send `.dump()`."""

    model_config = ConfigDict(frozen=True)

    # The published model this one extends with fields of its own (an allOf in /openapi.json) when it is not
    # its Python base class (Citation: "ref" comes before the passage's fields, as clients have always had it).
    extends: ClassVar[type[BaseModel] | None] = None

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def response(self, status: int = 200) -> Response:
        """The body as JSON, serialised in pydantic's core (a 5-citation answer: 0.07 ms; Flask's json.dumps of
        its dump took 0.1 ms more); UTF-8 as it is, no \\u escapes."""
        from flask import Response

        return Response(self.model_dump_json(), status=status, mimetype="application/json")


_TYPE_WORDS = {"string_type": "a string", "int_type": "an integer", "bool_type": "a boolean",
               "float_type": "a number", "dict_type": "an object", "model_type": "an object",
               "list_type": "a list"}


def api_error(error: dict[str, Any]) -> ApiError:
    """One pydantic error in the API's codes and messages (README, "HTTP API": the errors table)."""
    kind, loc = error["type"], error["loc"]
    field = loc[0] if loc else "body"
    if kind == "missing":
        return ApiError(422, "missing_field", f"'{field}' is required")
    if kind in _TYPE_WORDS:
        return ApiError(422, "invalid_type", f"'{field}' must be {_TYPE_WORDS[kind]}")
    return ApiError(422, kind, error["msg"])  # our own refusals (PydanticCustomError): code and message
