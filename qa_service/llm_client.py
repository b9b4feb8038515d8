"""One OpenAI-compatible client per service, shared by the answerer and the question rewriter."""
from __future__ import annotations

from typing import TYPE_CHECKING

from qa_service.settings import Settings

if TYPE_CHECKING:
    import openai


def llm_configured(settings: Settings) -> bool:
    return bool(settings.llm_base_url and settings.llm_model)


def make_client(settings: Settings) -> openai.OpenAI:
    """The answerer and the rewriter turn the SDK's retries off and retry within the request's deadline
    themselves (qa_service.answerers.llm_calls); the settings here are the client's defaults."""
    import openai  # here: a service without an LLM never loads the SDK (about 1 s per process)

    return openai.OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_api_key or "not-needed",
                         timeout=settings.llm_timeout, max_retries=settings.llm_max_retries)
