"""An answer as the chat tools show it: the text with its [n] markers, then the sources those markers name
(citation_footnotes.cited_line: document, title, section, page, and the cited sentence when the answer does not
say it), as Markdown (WeCom, DingTalk) or as a Feishu card. The sources are part of the message text, so they
survive every client of the platform."""
from __future__ import annotations

from typing import Any

from qa_service.citation_footnotes import cited_line  # one line per source, as chat completions and MCP write it
from qa_service.types import Answer

SOURCES_HEADING = "来源"
CUT_MARK = "……"


def _fit(text: str, max_bytes: int) -> str:
    """`text` cut so that it takes at most `max_bytes` bytes of UTF-8, marked when cut."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    room = max(0, max_bytes - len(CUT_MARK.encode("utf-8")))
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + CUT_MARK


def markdown(answer: Answer, max_bytes: int, mention: str = "") -> str:
    """The answer then its sources, within the platform's size limit: the sources are kept whole (they are what
    makes the answer checkable) and the answer text is cut to make room."""
    sources = [cited_line(c, answer.answer) for c in answer.citations]
    tail = ("\n\n**" + SOURCES_HEADING + "**\n" + "\n".join(f"- {s}" for s in sources)) if sources else ""
    tail = _fit(tail, max_bytes // 2)
    head = (mention + " " if mention else "") + answer.answer.strip()
    return _fit(head, max_bytes - len(tail.encode("utf-8"))) + tail


def feishu_card(answer: Answer, max_bytes: int) -> dict[str, Any]:
    """A Feishu message card (JSON 1.0 structure): the answer as a markdown element, the sources under a rule."""
    elements: list[dict[str, Any]] = [{"tag": "markdown", "content": _fit(answer.answer.strip(), max_bytes // 2)}]
    if answer.citations:
        sources = "\n".join(cited_line(c, answer.answer) for c in answer.citations)
        elements += [{"tag": "hr"},
                     {"tag": "markdown", "content": _fit(f"**{SOURCES_HEADING}**\n{sources}", max_bytes // 4)}]
    return {"config": {"wide_screen_mode": True}, "elements": elements}


def notice(text: str) -> Answer:
    """A message that is not an answer (the question was refused, the service is not ready) in the same shape."""
    return Answer(answer=text, answerable=False, citations=[], confidence=0.0, generator="none")
