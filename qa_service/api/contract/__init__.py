"""The HTTP API's contract: request and response models, defined once, used to validate requests, to build
responses and to generate /openapi.json (qa_service/api/openapi.py)."""
