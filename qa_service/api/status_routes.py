"""GET /healthz, /readyz and /openapi.json (the process), and /v1/info (a knowledge base): is the process alive,
can it answer, with what."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from qa_service.api.access import may_write
from qa_service.api.contract.base import Limits
from qa_service.api.kb_context import current_kb
from qa_service.api.contract.responses import Document, ErrorDetail, Info, InfoLimits, NotReady, Ready, Status
from qa_service.document_records import DocumentRecord
from qa_service.service import QAService

# What /v1/info shows of the service and its manifest: named fields only, so a field added later (a path, say)
# stays private until someone decides to publish it. Document records go through the Document model.
PUBLIC_MANIFEST_FIELDS = ("model", "dimension", "chunking", "corpus_fingerprint", "chunk_count", "created_at",
                          "package_version", "lexical", "embedding_variant", "vector_index", "format_version",
                          "dense")


def public_manifest(manifest: dict[str, Any] | None) -> dict[str, Any] | None:
    if manifest is None:
        return None
    created = manifest.get("created_at", "")
    return {**{k: manifest[k] for k in PUBLIC_MANIFEST_FIELDS if k in manifest},
            "documents": [Document.of(DocumentRecord.from_dict(d, created)).dump()
                          for d in manifest.get("documents", [])]}


def blueprint(qa: QAService, limits: Limits, openapi: dict[str, Any]) -> Blueprint:
    routes = Blueprint("status", __name__)

    @routes.get("/healthz")
    def healthz():
        return Status(status="ok").response()

    @routes.get("/readyz")
    def readyz():
        """Whether the process answering can answer: an index loaded and its vector store reachable."""
        reason = qa.readiness()
        if reason is None:
            return Ready(status="ready", index_version=qa.info()["index_version"]).response()
        error = ErrorDetail(code="not_ready", message=reason)
        return NotReady(status="not_ready", error=error).response(503)

    @routes.get("/openapi.json")
    def openapi_json():
        return jsonify(openapi)

    return routes


def kb_blueprint(limits: Limits) -> Blueprint:
    """GET /v1/info of the request's knowledge base (paths relative to /v1 or /v1/kbs/<kb>)."""
    routes = Blueprint("info", __name__)

    @routes.get("/info")
    def info():
        """Documents as clients see them (no server paths), whether this caller may upload, and the request
        limits a client should respect before sending (question length, upload size)."""
        about = current_kb().qa.info()
        return Info(
            model=about["model"], retriever=about["retriever"], retrieval=about["retrieval"],
            embedding=about["embedding"], reranker=about["reranker"],
            answerer=about["answerer"], ready=about["ready"], index_version=about["index_version"],
            manifest=public_manifest(about["manifest"]), uploads=may_write(request),
            limits=InfoLimits(max_question_chars=limits.max_question_chars,
                              max_upload_bytes=limits.max_upload_bytes)).response()

    return routes
