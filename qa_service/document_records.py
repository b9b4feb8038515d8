"""What an index version records about each document: a stable id, where it came from, what it holds.

Records live in the manifest's `documents` list, in the order of the document's chunks in the chunk
store, so each record's rows are the `chunks` rows after those of the records before it. Manifests
written before records had ids (name, sha256, encoding, chunks only) still load: their documents get
an id derived from the name and count as folder documents whose source is unknown.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

FOLDER = "folder"  # indexed by `qa ingest` from a folder or file path; a sync of that path may remove it
UPLOAD = "upload"  # added over HTTP or by `qa docs add`; its bytes are kept beside the index
LEGACY = "legacy"  # id namespace of records from manifests that had no ids

# Keys of a record that clients of the HTTP API see (no server paths).
PUBLIC_FIELDS = ("id", "name", "origin", "format", "pages", "chunks", "size", "sha256", "added_at", "updated_at",
                 "date")


def document_id(origin: str, key: str) -> str:
    """Stable id of a document: the same file path (folder) or stored name (upload) keeps its id across versions."""
    return hashlib.sha256(f"{origin}\x00{key}".encode("utf-8")).hexdigest()[:16]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    name: str  # file name; the `doc` of every chunk of the document
    origin: str  # FOLDER or UPLOAD
    # FOLDER: the file's resolved path (None for records of old manifests); UPLOAD: the stored copy,
    # relative to the index directory (uploads/<id>/<sha256>/<name>).
    source: str | None
    sha256: str  # of the raw bytes
    format: str  # which loader read it: text, markdown, html, docx, pdf
    encoding: str
    pages: int | None  # page count where the format has pages (PDF)
    chunks: int
    size: int | None  # bytes
    added_at: str
    updated_at: str
    # The date the document's text states for itself (documents/stated_date.py), ISO; None when it states none,
    # and in records written before this field (date filters then go by added_at, see `dated`).
    date: str | None = None

    @property
    def dated(self) -> str:
        """The day a date filter compares: the stated date, else the day the document was added."""
        return self.date or self.added_at[:10]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def public(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in PUBLIC_FIELDS}

    def same_content(self, other: "DocumentRecord") -> bool:
        return self.name == other.name and self.sha256 == other.sha256

    def renewed(self, previous: "DocumentRecord | None") -> "DocumentRecord":
        """This record with the history of the record it replaces: added_at kept, updated_at only on change."""
        if previous is None:
            return self
        updated_at = previous.updated_at if previous.sha256 == self.sha256 else self.updated_at
        return replace(self, added_at=previous.added_at, updated_at=updated_at)

    @classmethod
    def from_dict(cls, data: dict[str, Any], created_at: str = "") -> "DocumentRecord":
        """Read a manifest record, filling what old manifests lack."""
        name = str(data["name"])
        origin = data.get("origin", FOLDER)
        return cls(
            id=data.get("id") or document_id(LEGACY, name),
            name=name,
            origin=origin,
            source=data.get("source"),
            sha256=str(data.get("sha256", "")),
            format=data.get("format") or _format_from_name(name),
            encoding=data.get("encoding", ""),
            pages=data.get("pages"),
            chunks=int(data.get("chunks", 0)),
            size=data.get("size"),
            added_at=data.get("added_at") or created_at,
            updated_at=data.get("updated_at") or data.get("added_at") or created_at,
            date=data.get("date"),
        )


def _format_from_name(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"pdf": "pdf", "docx": "docx", "html": "html", "htm": "html", "md": "markdown",
            "markdown": "markdown"}.get(ext, "text")
