"""The real Flask app around a service the tests already hold (the session's loaded index, or one of their own)."""
from __future__ import annotations

from flask import Flask

from qa_service.api.app import create_app
from qa_service.composition import ServiceRoot
from qa_service.service import QAService
from qa_service.settings import Settings


def app_for(service: QAService, settings: Settings | None = None, *, encoder=None, **overrides) -> Flask:
    """What `qa serve` builds, over `service` instead of a newly loaded one: a serving composition root with
    these settings (the service's own, changed by `overrides`). Pass the `encoder` when the test uploads, so
    uploads embed with the model already loaded."""
    settings = (settings or service.settings).with_overrides(**overrides)
    return create_app(ServiceRoot(settings, serving=True, encoder=encoder, qa=service))
