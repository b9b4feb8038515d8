"""The MCP tools: search, ask and list_documents, each one call to the objects the HTTP API uses.

Every tool returns two forms of one result: text for the model to read (an answer ends with its sources as
footnotes, qa_service/citation_footnotes.py, so an agent can quote them) and, as structured content, the JSON
the HTTP API sends for the same request (/v1/search, /v1/ask, /v1/documents), from the same contract models.
The question and top_k are checked by the service itself (query_limits.py): a refusal is a tool error whose
text starts with the API's error code ("too_long: 'question' is longer than 2000 characters"), which the
model can read and act on. The SDK runs these functions in worker threads; QAService is thread-safe.
"""
# No `from __future__ import annotations`: the SDK reads the tools' parameter types, which are local to
# create_mcp_server (their bounds come from the settings), from the functions at registration.
import threading
from typing import Annotated, Callable, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from qa_service.answerers.base import GeneratorError
from qa_service.api.contract.filters import Filters
from qa_service.api.contract.responses import Answer, Document, SearchResults
from qa_service.citation_footnotes import footnotes, source_of
from qa_service.composition import ServiceRoot
from qa_service.query_limits import TOP_K_MAX, TOP_K_MIN, QueryRefused
from qa_service.service import ServiceNotReady

SERVER_NAME = "qa-service"
INSTRUCTIONS = ("Answers questions from a collection of Chinese policy documents, quoting them with [n] citations "
                "(document, section, page). Use `ask` for an answer with its sources, `search` for the passages "
                "themselves, `list_documents` to see what the collection holds. Ask in Chinese for best results.")
PASSAGE_PREVIEW_CHARS = 300  # of each search result's text in the text form (the structured form has it whole)
_READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                             open_world_hint=False)
T = TypeVar("T")


class _InFlight:
    """QA_MAX_IN_FLIGHT for tool calls: beyond it a call is refused at once ("overloaded"), not queued."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def run(self, work: Callable[[], T]) -> T:
        if self._slots is not None and not self._slots.acquire(blocking=False):
            raise ToolError("overloaded: the service is at capacity; retry shortly")
        try:
            return work()
        finally:
            if self._slots is not None:
                self._slots.release()


def _refusal(exc: QueryRefused | ServiceNotReady | GeneratorError) -> ToolError:
    """A failure the caller can act on, as the tool error text: the API's code, then its message."""
    if isinstance(exc, QueryRefused):
        return ToolError(f"{exc.code}: {exc.message}")
    if isinstance(exc, ServiceNotReady):
        return ToolError(f"not_ready: the index is not loaded: {exc}")
    return ToolError(f"{'llm_timeout' if exc.status == 504 else 'llm_error'}: {exc}")


def create_mcp_server(root: ServiceRoot) -> MCPServer:
    """The MCP server over a composition root's objects (as create_app builds the Flask app)."""
    settings = root.settings
    qa = root.qa
    in_flight = _InFlight(settings.max_in_flight)
    follow = root.watcher.check if settings.auto_reload else (lambda: None)
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")

    def call(work: Callable[[], T]) -> T:
        follow()  # the index's current version, as `qa serve` does before each request (QA_AUTO_RELOAD)
        try:
            return in_flight.run(work)
        except (QueryRefused, ServiceNotReady, GeneratorError) as exc:
            raise _refusal(exc) from None

    Question = Annotated[str, Field(description="the question, in Chinese for best results",
                                    json_schema_extra={"maxLength": settings.max_question_chars})]
    Query = Annotated[str, Field(description="what to look for (words or a question)",
                                 json_schema_extra={"maxLength": settings.max_question_chars})]
    TopK = Annotated[int | None, Field(description=f"passages to use (default {settings.top_k})",
                                       json_schema_extra={"minimum": TOP_K_MIN, "maximum": TOP_K_MAX})]

    Only = Annotated[Filters | None, Field(description="answer only from passages that pass every given filter: "
                                                       "documents (ids or names), formats, title_prefix, "
                                                       "section_prefix, date_from / date_to (YYYY-MM-DD)")]

    @server.tool(title="Ask the documents", annotations=_READ_ONLY)
    def ask(question: Question, top_k: TopK = None, filters: Only = None) -> CallToolResult:
        """Answer a question from the documents, with [n] citations and the sources (document, section, page).
        When the documents do not say, the answer says so."""
        only = None if filters is None else filters.search_filter()
        answer = call(lambda: qa.ask(question, settings.top_k if top_k is None else top_k, filters=only))
        body = Answer.of(question.strip(), answer).dump()
        return CallToolResult(content=[TextContent(text=answer.answer + footnotes(answer.citations, answer.answer))],
                              structured_content=body)

    @server.tool(title="Search the documents", annotations=_READ_ONLY)
    def search(query: Query, top_k: TopK = None, filters: Only = None) -> CallToolResult:
        """Find the passages of the documents that best match a query, each with its document, section and page
        or lines."""
        only = None if filters is None else filters.search_filter()
        passages, retrieval = call(lambda: qa.search_with_retrieval(
            query, settings.top_k if top_k is None else top_k, only))
        body = SearchResults.of(query.strip(), passages, retrieval).dump()
        text = "\n\n".join(f"{source_of(rank, p.chunk)}\n{_preview(p.chunk.text)}"
                           for rank, p in enumerate(passages, 1))
        return CallToolResult(content=[TextContent(text=text or "no passage matches")], structured_content=body)

    @server.tool(title="List the documents", annotations=_READ_ONLY)
    def list_documents() -> CallToolResult:
        """The documents the answers are drawn from: name, format, pages and passages (chunks) of each."""
        records, version = call(lambda: root.documents.served(qa.info()))
        docs = [Document.of(r).dump() for r in records]
        lines = [f"{d['name']}（{d['format']}，" + (f"{d['pages']} 页，" if d["pages"] else "") + f"{d['chunks']} 段）"
                 for d in docs]
        return CallToolResult(content=[TextContent(text="\n".join(lines) or "no documents are indexed")],
                              structured_content={"documents": docs, "index_version": version})

    return server


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PASSAGE_PREVIEW_CHARS else flat[:PASSAGE_PREVIEW_CHARS - 1] + "…"
