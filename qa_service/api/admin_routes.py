"""POST /admin/reload: load the index directory's current version without a restart."""
from __future__ import annotations

import logging

from flask import Blueprint, g

from embeddings.index_store import IndexStoreError
from qa_service.api.contract.responses import Reloaded
from qa_service.api.errors import ApiError
from qa_service.service import QAService

log = logging.getLogger(__name__)


def blueprint(qa: QAService) -> Blueprint:
    routes = Blueprint("admin", __name__)

    @routes.post("/admin/reload")
    def reload_index():
        """Requests in flight finish on the old version; a version that fails to load leaves the old one."""
        before = qa.info()["index_version"]
        try:
            qa.load()
        except IndexStoreError as exc:
            log.error("reload failed (request %s): %s", g.get("request_id"), exc)
            raise ApiError(409, "reload_failed",
                           f"{exc.public_reason}; still serving {before or 'nothing'}") from None
        return Reloaded(status="reloaded", previous=before, index_version=qa.info()["index_version"]).response()

    return routes
