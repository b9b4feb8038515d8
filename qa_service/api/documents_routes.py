"""Document management over HTTP: GET/POST /v1/documents, DELETE /v1/documents/<id> (and the same under
/v1/kbs/<kb>/: each knowledge base has its own documents; a document id of another one is not found).

A thin face over DocumentService. Uploads are multipart/form-data with the file in the field `file`,
limited by QA_MAX_UPLOAD_BYTES (the JSON body limit QA_MAX_BODY_BYTES still applies everywhere
else); every refusal is a JSON error naming the file. Writes need a key of the write role when keys are
set, and without keys a same-origin request to a loopback-only server (see access.py). The serving process
loads the new version before it answers (the composition root wires DocumentService to the IndexWatcher), and
other workers notice it before their next request (the app's auto-reload hook, qa_service/api/app.py).
"""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from flask import Blueprint, request
from werkzeug.exceptions import RequestEntityTooLarge

from embeddings.index_lock import IndexBusy
from embeddings.index_store import IndexStoreError
from qa_service.api.access import may_write
from qa_service.api.contract.responses import Document, DocumentListing
from qa_service.api.contract.uploads import FILE_FIELD
from qa_service.api.errors import ApiError
from qa_service.api.kb_context import current_kb
from qa_service.document_service import ADDED, DocumentNotFound, DocumentRejected, KnowledgeBaseConflict
from qa_service.settings import MULTIPART_SLACK_BYTES
from qa_service.upload_store import StorageFull, safe_file_name

log = logging.getLogger(__name__)

MULTIPART_SLACK = MULTIPART_SLACK_BYTES  # part headers and boundaries around the file
# Other refusals of a file: 422. parse_busy is no fault of the file (every parsing child stayed busy): retry.
_STATUS = {"file_too_large": 413, "unsupported_file_type": 415, "name_taken": 409, "parse_busy": 503}
PARSE_BUSY_RETRY_AFTER = "5"
_FILENAME = re.compile(rb'filename\*?=(?:UTF-8\'\')?"?([^";\r\n]+)', re.IGNORECASE)


def _sniffed_file_name(limit: int = 16 * 1024) -> str | None:
    """The file name from the first part headers of a body too large to parse, for the error message."""
    try:
        head = request.environ["wsgi.input"].read(min(limit, request.content_length or limit))
    except (OSError, KeyError, ValueError):
        return None
    match = _FILENAME.search(head)
    if not match:
        return None
    return safe_file_name(unquote(match.group(1).decode("utf-8", errors="replace")))


def _too_large(name: str | None, size: int | None, limit: int) -> ApiError:
    what = f"{name}: file too large" if name else "the upload is too large"
    size_text = f" (the request holds {size:,} bytes)" if size else ""
    return ApiError(413, "file_too_large", f"{what}{size_text}; the limit is {limit:,} bytes (QA_MAX_UPLOAD_BYTES)")


def blueprint(limit: int, accepted_types: list[str]) -> Blueprint:
    """The document routes of the request's knowledge base; listings come from what its QA service serves.
    `limit`: QA_MAX_UPLOAD_BYTES; `accepted_types`: the extensions uploads may have. Paths relative to the
    knowledge base's prefix (/v1 or /v1/kbs/<kb>)."""
    routes = Blueprint("documents", __name__)

    def conflict(exc: Exception) -> ApiError:
        if isinstance(exc, IndexBusy):
            return ApiError(503, "index_busy", exc.public_reason, headers={"Retry-After": "5"})
        if isinstance(exc, KnowledgeBaseConflict):
            return ApiError(409, exc.code, exc.message)
        if isinstance(exc, IndexStoreError):
            log.error("document change refused: %s", exc)
            return ApiError(409, "index_unusable", exc.public_reason)
        raise exc

    @routes.get("/documents")
    def list_documents():
        kb = current_kb()
        records, version = kb.documents.served(kb.qa.info())
        return DocumentListing(
            documents=[Document.of(r) for r in records], uploads=may_write(request), index_version=version,
            max_upload_bytes=limit, accepted_types=accepted_types).response()

    @routes.post("/documents")
    def upload_document():
        documents = current_kb().documents
        request.max_content_length = limit + MULTIPART_SLACK  # instead of the JSON body limit
        if (request.mimetype or "").lower() != "multipart/form-data":
            raise ApiError(415, "unsupported_media_type",
                           f"send the document as multipart/form-data with the file in the field '{FILE_FIELD}'")
        if request.content_length is not None and request.content_length > limit + MULTIPART_SLACK:
            raise _too_large(_sniffed_file_name(), request.content_length, limit)
        try:
            files = request.files.getlist(FILE_FIELD)
        except RequestEntityTooLarge:
            raise _too_large(None, None, limit) from None
        if not files:
            raise ApiError(422, "missing_field", f"'{FILE_FIELD}' is required: send the document as "
                                                 f"multipart/form-data in the field '{FILE_FIELD}'")
        if len(files) > 1:
            raise ApiError(422, "too_many_files", f"send one file per request ({len(files)} were sent)")
        upload = files[0]
        if not (upload.filename or "").strip():
            raise ApiError(422, "missing_file_name", "the file has no name; its extension says how to read it "
                                                     f"(one of {', '.join(accepted_types)})")
        raw = upload.stream.read(limit + 1)
        if len(raw) > limit:
            raise _too_large(safe_file_name(upload.filename), None, limit)
        try:
            result = documents.add(upload.filename, raw)
        except DocumentRejected as exc:
            headers = {"Retry-After": PARSE_BUSY_RETRY_AFTER} if exc.code == "parse_busy" else None
            raise ApiError(_STATUS.get(exc.code, 422), exc.code, exc.message, headers=headers) from None
        except StorageFull as exc:
            log.error("upload of %s refused: %s", safe_file_name(upload.filename), exc)
            raise ApiError(507, "insufficient_storage", f"{safe_file_name(upload.filename)}: the server has no space "
                           "left to store this document; nothing was changed") from None
        except (KnowledgeBaseConflict, IndexStoreError) as exc:
            raise conflict(exc) from None
        return Document.of(result.record, status=result.status).response(201 if result.status == ADDED else 200)

    @routes.delete("/documents/<doc_id>")
    def delete_document(doc_id: str):
        try:
            record = current_kb().documents.remove(doc_id)
        except DocumentNotFound as exc:
            raise ApiError(404, "document_not_found", str(exc)) from None
        except StorageFull as exc:
            log.error("deletion of %s refused: %s", doc_id, exc)
            raise ApiError(507, "insufficient_storage", "the server has no space left to write the index without "
                           "this document; nothing was changed") from None
        except (KnowledgeBaseConflict, IndexStoreError) as exc:
            raise conflict(exc) from None
        log.info("document %s (%s) deleted", record.id, record.name)
        return "", 204

    return routes
