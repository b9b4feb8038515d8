"""What a knowledge base may be called, and how a refusal says why.

A name is a folder name under QA_KB_ROOT, a path segment of /v1/kbs/<kb>/... and a model id of /v1/models, so it
is a safe slug: lower-case ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64
characters. Nothing else can reach the file system: no `.`, `/`, `\\`, spaces, or Unicode look-alikes.
"""
from __future__ import annotations

import re

DEFAULT_KB = "default"
MAX_NAME_CHARS = 64
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class KnowledgeBaseError(Exception):
    """A refused knowledge-base operation: `code` is stable, the message says what to do."""

    code = "kb_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class KnowledgeBaseNotFound(KnowledgeBaseError, LookupError):
    """No such knowledge base (or, later, one the caller may not read): the message never names it."""

    code = "not_found"

    def __init__(self) -> None:
        super().__init__("no such knowledge base")


class InvalidKnowledgeBase(KnowledgeBaseError):
    code = "invalid_kb_name"


class KnowledgeBaseExists(KnowledgeBaseError):
    code = "kb_exists"


class DefaultKnowledgeBaseFixed(KnowledgeBaseError):
    code = "default_kb_fixed"

    def __init__(self, action: str) -> None:
        super().__init__(f"the `{DEFAULT_KB}` knowledge base (the index directory QA_INDEX_DIR) cannot be {action}")


def is_valid_name(name: object) -> bool:
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def checked_name(name: object) -> str:
    """The name when it is a valid slug; InvalidKnowledgeBase otherwise (the message does not repeat it)."""
    if not is_valid_name(name):
        raise InvalidKnowledgeBase(f"a knowledge base name is 1 to {MAX_NAME_CHARS} lower-case ASCII letters, "
                                   "digits, '-' or '_', starting with a letter or digit")
    return name  # type: ignore[return-value]
