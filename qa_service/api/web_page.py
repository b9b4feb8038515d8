"""The question page at `/`: static HTML, CSS and JS served by the app itself (no build step, no CDN).

Everything the page shows from the server is set with textContent, and a strict Content-Security-Policy
forbids inline scripts, foreign hosts and framing, so a passage can never run as code.
"""
from __future__ import annotations

from flask import Blueprint, Response

# Access control keeps these open without a key: the page must load before the user can type one.
from qa_service.api.access import PAGE_ASSET_PREFIX

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-cache")  # revalidate, so an upgrade shows at once
    return response


def blueprint() -> Blueprint:
    page = Blueprint("web", __name__, static_folder="web", static_url_path=PAGE_ASSET_PREFIX.rstrip("/"))

    @page.get("/")
    def index() -> Response:
        return page.send_static_file("index.html")

    page.after_request(_secure)
    return page
