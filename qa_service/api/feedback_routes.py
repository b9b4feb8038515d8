"""POST /v1/feedback (any reader rates an answer given to them) and GET /v1/feedback (admins read the ratings).

Paths relative to the knowledge base's prefix (/v1 or /v1/kbs/<kb>). An answer is found by its id within the
request's knowledge base (kb_context.current_kb): an id of another knowledge base is 404 like one never given,
and the ratings listed are the path's knowledge base's (no query parameter names another: its scope is checked
once, on the path, by kb_context.py). Rating an answer again replaces the earlier rating and comment
(200, `replaced: true`); the first rating is 201. Reading needs the admin role (access.py); with knowledge-base
scoped keys it becomes the admin of that knowledge base.
"""
from __future__ import annotations

import logging
import sqlite3

from flask import Blueprint, request

from qa_service.api.contract.base import Limits
from qa_service.api.contract.feedback import (FeedbackListing, FeedbackRecorded, FeedbackRequest, RatedAnswer,
                                              listing_query)
from qa_service.api.errors import ApiError
from qa_service.api.kb_context import current_kb
from qa_service.api.validation import json_object
from qa_service.feedback.store import FeedbackStore

log = logging.getLogger(__name__)


def blueprint(store: FeedbackStore | None, limits: Limits) -> Blueprint:
    """`store` None (QA_FEEDBACK_DB=off): no answer can be found, no rating listed."""
    routes = Blueprint("feedback", __name__)

    @routes.post("/feedback")
    def rate():
        req = FeedbackRequest.parse(json_object(request), limits)
        if store is None:
            raise ApiError(404, "not_found", "this server does not record answers (QA_FEEDBACK_DB=off)")
        try:
            result = store.rate(req.answer_id, current_kb().name, req.rating, req.comment)
        except sqlite3.Error as exc:  # locked past its timeout, disk full: the rating can be sent again
            log.warning("rating of %s not recorded: %s", req.answer_id, exc)
            raise ApiError(503, "feedback_unavailable", "the rating could not be stored now; send it again "
                                                        "later", {"Retry-After": "5"}) from None
        if result is None:
            raise ApiError(404, "not_found", "no answer with this answer_id in this knowledge base (answers are "
                                             "kept for QA_FEEDBACK_MAX_ANSWERS answers)")
        rating, new = result
        public = rating.public()
        return FeedbackRecorded.model_validate({
            "answer_id": public["answer_id"], "rating": public["rating"], "comment": public["comment"],
            "rated_at": public["rated_at"], "replaced": not new}).response(201 if new else 200)

    @routes.get("/feedback")
    def ratings():
        kb = current_kb().name
        rating, limit = listing_query(request.args)
        found = [] if store is None else store.ratings(kb, rating, limit=limit)
        return FeedbackListing(kb=kb, ratings=[RatedAnswer.model_validate(r.public()) for r in found]).response()

    return routes
