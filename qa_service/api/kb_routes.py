"""Knowledge bases over HTTP: GET/POST /v1/kbs, GET/PATCH/DELETE /v1/kbs/<kb>.

A thin face over the provider (qa_service/knowledge_bases/). Listing and reading need the read role; creating,
renaming and deleting the admin role (access.py) of every knowledge base (a key without a scope), and a knowledge
base the caller may not use is answered as one that does not exist (kb_context.py). `default` is never renamed or deleted (409 default_kb_fixed).
"""
from __future__ import annotations

import logging

from flask import Blueprint, request

from embeddings.index_lock import IndexBusy
from qa_service.api.contract.base import Limits
from qa_service.api.contract.knowledge_bases import (CreateKnowledgeBase, KnowledgeBase, KnowledgeBaseList,
                                                     RenameKnowledgeBase)
from qa_service.api.errors import ApiError
from qa_service.api.kb_context import checked, provider, readable_names, require_unscoped
from qa_service.api.keys import Role
from qa_service.api.validation import json_object
from qa_service.knowledge_bases.names import KnowledgeBaseError, KnowledgeBaseNotFound

log = logging.getLogger(__name__)

_STATUS = {"kb_exists": 409, "default_kb_fixed": 409, "invalid_kb_name": 422, "invalid_kb_settings": 422}


def _refusal(exc: Exception) -> ApiError:
    if isinstance(exc, KnowledgeBaseNotFound):
        return ApiError(404, exc.code, exc.message)
    if isinstance(exc, KnowledgeBaseError):
        return ApiError(_STATUS.get(exc.code, 409), exc.code, exc.message)
    if isinstance(exc, IndexBusy):
        return ApiError(503, "index_busy", exc.public_reason, headers={"Retry-After": "5"})
    raise exc


def blueprint(limits: Limits) -> Blueprint:
    routes = Blueprint("kbs", __name__)

    @routes.get("/v1/kbs")
    def list_kbs():
        kbs = provider()
        return KnowledgeBaseList(object="list", data=[KnowledgeBase.of(kbs.record(name))
                                                      for name in readable_names()]).response()

    @routes.post("/v1/kbs")
    def create_kb():
        require_unscoped()
        req = CreateKnowledgeBase.parse(json_object(request), limits)
        try:
            record = provider().create(req.name, req.settings.overrides() if req.settings else None)
        except (KnowledgeBaseError, IndexBusy) as exc:
            raise _refusal(exc) from None
        return KnowledgeBase.of(record).response(201)

    @routes.get("/v1/kbs/<kb_name>")
    def get_kb(kb_name: str):
        try:
            return KnowledgeBase.of(provider().record(checked(kb_name, Role.READ))).response()
        except KnowledgeBaseError as exc:
            raise _refusal(exc) from None

    @routes.patch("/v1/kbs/<kb_name>")
    def rename_kb(kb_name: str):
        checked(kb_name, Role.ADMIN)
        require_unscoped()
        req = RenameKnowledgeBase.parse(json_object(request), limits)
        try:
            record = provider().rename(kb_name, req.name)
        except (KnowledgeBaseError, IndexBusy) as exc:
            raise _refusal(exc) from None
        return KnowledgeBase.of(record).response()

    @routes.delete("/v1/kbs/<kb_name>")
    def delete_kb(kb_name: str):
        checked(kb_name, Role.ADMIN)
        require_unscoped()
        try:
            provider().delete(kb_name)
        except (KnowledgeBaseError, IndexBusy) as exc:
            raise _refusal(exc) from None
        return "", 204

    return routes
