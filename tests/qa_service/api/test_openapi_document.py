"""/openapi.json is generated from the contract models and equals the document written by hand before (issue 17,
openapi_before_issue17.json, from main at ceba4df with default settings) apart from descriptions and summaries, and
for these changes only:

- responses promise more, never less: fields the service always sends are now required, and bodies that were
  documented without properties (readiness, reload, models, chat choices) list them;
- requests are documented as the service checks them: see REQUEST_CHANGES.

The bodies schemathesis sends and the responses it checks are judged against the generated document
(test_openapi_contract.py); this test pins what changed."""
import json
import re
from pathlib import Path

from qa_service.api.contract.base import Limits
from qa_service.api.openapi import KB_ROUTES, openapi_document
from qa_service.settings import Settings
from tests.qa_service.api.openapi_changes import changes

BEFORE = Path(__file__).with_name("openapi_before_issue17.json")
CHAT = "/paths//v1/chat/completions/post/requestBody/content/application/json/schema/properties"
REQUEST_CHANGES = {
    # A user message must hold text (the last one was always refused blank; the schema cannot say "last"), and
    # a conversation must hold a user message: two schemathesis findings ("no user message", "empty last user
    # message": 422 for a schema-valid request). Other roles: system, developer, assistant, tool.
    f"+ {CHAT}/messages/items/oneOf",
    f"- {CHAT}/messages/items/properties",
    f"- {CHAT}/messages/items/required",
    f"- {CHAT}/messages/items/type",
    f"+ {CHAT}/messages/not",
    # The service always took null for these (OpenAI clients send it).
    f"+ {CHAT}/model/nullable",
    f"+ {CHAT}/temperature/nullable",
    f"+ {CHAT}/max_tokens/nullable",
    # stream_options.include_usage: a streamed chat completion ends with a usage chunk when asked (issue 23).
    f"+ {CHAT}/stream_options",
    # filters: which passages a search, ask or chat may use (issue 20).
    *(f"+ /paths//v1/{path}/post/requestBody/content/application/json/schema/properties/filters"
      for path in ("search", "ask", "chat/completions")),
    # The file names the service reads (schemathesis finding: 415 for a schema-valid upload).
    "+ /paths//v1/documents/post/requestBody/content/multipart/form-data/encoding",
}
# Knowledge bases (issue 20): the routes of a knowledge base served again under /v1/kbs/{kb}/, and their management.
ADDED_PATHS = {"+ /paths//v1/kbs/{kb}" + route[3:] for route in KB_ROUTES} | {"+ /paths//v1/kbs",
                                                                             "+ /paths//v1/kbs/{kb}"}


# Endpoints added since (issue 20: rating answers by their id).
NEW_PATHS = {"+ /paths//v1/feedback"}


def test_generated_document_is_the_one_before_but_for_the_listed_changes():
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(openapi_document(Limits.from_settings(Settings()))))
    found = changes(before, now)
    assert NEW_PATHS <= set(found)
    found = [c for c in found if c not in NEW_PATHS]
    assert {c for c in found if "/requestBody/" in c} == REQUEST_CHANGES
    assert ADDED_PATHS <= set(found)
    in_responses = [c for c in found if "/requestBody/" not in c and c not in ADDED_PATHS]
    assert in_responses and all(c.startswith("+ ") for c in in_responses), in_responses  # only more promised
    assert all(c.endswith("/properties") or "/properties/" in c or "/required: " in c
               or re.search(r"/responses/\d{3}$", c) for c in in_responses)  # e.g. 507 insufficient_storage (issue 16)


def test_the_document_depends_on_the_limits_it_publishes():
    doc = openapi_document(Limits(max_question_chars=12, default_top_k=7, max_upload_bytes=1000))
    ask = doc["paths"]["/v1/ask"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert ask["question"]["maxLength"] == 12 and ask["top_k"]["default"] == 7
    assert (ask["top_k"]["minimum"], ask["top_k"]["maximum"]) == (1, 50)
