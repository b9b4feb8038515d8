"""Errors raised while turning files into documents.

Every message names the offending file so a failed index build points straight at it.
"""
from __future__ import annotations


class DocumentError(Exception):
    """Base class: anything that stops a file from becoming a document."""


class UnsupportedFileType(DocumentError):
    """The file's extension is not one we know how to read."""


class UndecodableFile(DocumentError):
    """No supported encoding decodes the bytes cleanly; we refuse to guess and return mojibake."""


class EmptyDocument(DocumentError):
    """The file holds no text once cleaned; indexing it would only add noise."""
