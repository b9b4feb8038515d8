"""Errors raised while turning files into documents.

Every message names the offending file (the path as given, or just the name for an upload) so a
failed index build or upload points straight at it.
"""
from __future__ import annotations


class DocumentError(Exception):
    """Base class: anything that stops a file from becoming a document."""


class UnsupportedFileType(DocumentError):
    """The file's extension is not one we know how to read."""


class CorruptDocument(UnsupportedFileType):
    """The bytes are not a readable file of the type the extension names (damaged, truncated, renamed).

    A subclass of `UnsupportedFileType`: either way we cannot read this file as its claimed type, and
    folder walks skip both by default. Check it before `UnsupportedFileType` where the two need
    different answers (an HTTP 422 rather than 415).
    """


class EncryptedDocument(UnsupportedFileType):
    """The file needs a password to open; we never guess one."""


class UndecodableFile(DocumentError):
    """No supported encoding decodes the bytes cleanly; we refuse to guess and return mojibake."""


class EmptyDocument(DocumentError):
    """The file holds no text once cleaned; indexing it would only add noise."""


class ScannedPdf(EmptyDocument):
    """A PDF without a text layer (scanned pages, images): it needs OCR first, never an empty index entry."""


class NotText(UndecodableFile):
    """The bytes decode, but not to language: random GBK byte pairs, random Han, shuffled characters.
    Indexing it would fill the index with gibberish passages (200 KB of random GBK pairs became 909 chunks)."""


class DocumentTooLarge(DocumentError):
    """The file is within the upload size but holds more than a real document does once opened: a .docx that
    expands too far, too many pages, elements or decoded bytes, too much text. `limit` names the cap."""

    def __init__(self, message: str, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class DocumentTooDeep(DocumentTooLarge):
    """Markup nested deeper than real documents nest it (1,200 nested <div>s once ended in a RecursionError)."""


class ParseFailed(DocumentError):
    """Parsing the file in the sandbox was stopped: see the subclasses. `code` is the stable public code."""

    code = "parse_failed"


class ParseTimeout(ParseFailed):
    """Parsing took longer than the wall-clock limit (QA_PARSE_TIMEOUT_SECONDS); the child was killed."""

    code = "parse_timeout"


class ParseMemoryExceeded(ParseFailed):
    """Parsing needed more memory than the limit (QA_PARSE_MEMORY_MB); the child was stopped."""

    code = "parse_memory"


class ParseCrashed(ParseFailed):
    """The parsing child died (a signal, a crash of a C library); the file is refused, the service goes on."""

    code = "parse_crashed"


class ParserBusy(ParseFailed):
    """Every parsing child stayed busy for the whole wait: try again shortly (not a fault of the file)."""

    code = "parse_busy"
