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
