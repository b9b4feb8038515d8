"""Which knowledge base a request is about, decided in one place.

The routes of a knowledge base are served twice (qa_service/api/app.py): under /v1/... for `default`, as they
always were, and under /v1/kbs/<kb>/... for any. The `<kb>` of the path is taken out of the view arguments here,
and after the key is checked (access.py) `resolve` finds the knowledge base, holds it for the request (the provider
unloads none that a request holds) and puts it in `flask.g`; routes read it with `current_kb()`. A chat completion
without a knowledge base in its path names one with `model` (`kb_for_model`).

`allowed` is where a key's scope is checked (keys.py: a key may name the knowledge bases it reaches): a knowledge
base the caller may not use is answered exactly as one that does not exist (404 not_found, no name in the
message, decided before its existence is looked up, so the time taken tells nothing either), and lists leave it
out. The routes under /v1/... are `default`'s and need a key that reaches it. The key's role is access.py's.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g

from qa_service.api.errors import ApiError
from qa_service.api.keys import Role
from qa_service.knowledge_bases import DEFAULT_KB, KnowledgeBaseNotFound, KnowledgeBaseProvider, KnowledgeBaseServices
from qa_service.settings import SettingsError

log = logging.getLogger(__name__)

KB_ARGUMENT = "kb"  # the path variable of /v1/kbs/<kb>/...
_EXTENSION = "qa_kbs"


def provider() -> KnowledgeBaseProvider:
    return current_app.extensions[_EXTENSION]


def not_found() -> ApiError:
    return ApiError(404, KnowledgeBaseNotFound.code, KnowledgeBaseNotFound().message)


def allowed(name: str, needed: Role) -> bool:
    """Whether this request's caller may use knowledge base `name` (the key in g.api_key, when keys are set):
    its scope reaches it. `needed` is checked against the key's role by access.py, for every route."""
    key = g.get("api_key")
    return key is None or key.reaches(name)


def require_unscoped() -> None:
    """Creating, renaming and deleting knowledge bases: only a key of every knowledge base (an admin's without
    a scope), since a scoped key could otherwise make a name it then reaches or take one from another."""
    key = g.get("api_key")
    if key is not None and not key.unscoped:
        raise ApiError(403, "insufficient_scope", "creating, renaming and deleting knowledge bases needs an admin "
                                                  "key of every knowledge base (one without a scope)")


def checked(name: str, needed: Role = Role.READ) -> str:
    """The name of an existing knowledge base the caller may use; the 404 of a missing one otherwise."""
    if not allowed(name, needed) or provider().store.stamp(name) is None:
        raise not_found()
    return name


def readable_names() -> list[str]:
    """The knowledge bases this caller may read, `default` first."""
    return [name for name in provider().names() if allowed(name, Role.READ)]


def _hold(name: str, needed: Role) -> KnowledgeBaseServices:
    if not allowed(name, needed):
        raise not_found()
    try:
        services = provider().acquire(name)
    except KnowledgeBaseNotFound:
        raise not_found() from None
    except SettingsError as exc:  # its kb.json, edited by hand, asks for settings that are not valid
        log.error("knowledge base %s not loaded: %s", name, exc)
        raise ApiError(503, "not_ready", "this knowledge base cannot be loaded: its settings are not valid "
                                         "(the server's log says why)") from None
    g.setdefault("held_kbs", []).append(services)
    if current_app.config.get("QA_AUTO_RELOAD"):
        services.watcher.check()  # follow its index's current version, as the default's hook does
    return services


def current_kb() -> KnowledgeBaseServices:
    """The knowledge base of this request: the path's, else `default`."""
    return g.get("kb") or provider().default


def kb_for_model(model: str | None) -> KnowledgeBaseServices:
    """A chat completion's knowledge base: the path's when it names one; else the model's (the service's model id,
    `default` or none: `default`). An unknown model: 404 model_not_found, in the shape OpenAI clients read."""
    if g.get("kb") is not None:
        return g.kb
    unknown = ApiError(404, "model_not_found", "no such model; GET /v1/models lists them",
                       fields={"type": "invalid_request_error", "param": "model"})
    if model in (None, "", DEFAULT_KB, current_app.config.get("QA_MODEL_ID")):
        if not allowed(DEFAULT_KB, Role.READ):
            raise unknown
        return provider().default
    try:
        g.kb = _hold(model, Role.READ)  # type: ignore[arg-type]
    except ApiError:
        raise unknown from None
    return g.kb


def register_kb_context(app: Flask, kbs: KnowledgeBaseProvider, needed_role: Any, model_id: str,
                        auto_reload: bool, served_over_default: frozenset[str]) -> None:
    """Install the hooks; call after access control, so an unknown knowledge base is told only to a valid key.
    `needed_role(request)` is access.py's role of the request; `served_over_default` names the blueprints that
    serve `default` when their path has no /v1/kbs/<kb> (app.py, where they are registered, says which)."""
    from flask import request

    app.extensions[_EXTENSION] = kbs
    app.config.update(QA_MODEL_ID=model_id, QA_AUTO_RELOAD=auto_reload)

    @app.url_value_preprocessor
    def _take_kb(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and KB_ARGUMENT in values:
            g.kb_name = values.pop(KB_ARGUMENT)

    @app.before_request
    def _resolve() -> None:
        name = g.get("kb_name")
        if name is not None:
            g.kb = _hold(name, needed_role(request))
        elif request.blueprint in served_over_default and not allowed(DEFAULT_KB, needed_role(request)):
            raise not_found()

    @app.teardown_request
    def _release(_exc: BaseException | None) -> None:
        for services in g.pop("held_kbs", []):
            kbs.release(services)
