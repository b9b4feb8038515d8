"""Load question sets (FORMAT.md of the shared eval folder) into typed records.

A broken line must not sink a whole evaluation run, so each malformed line is logged with its line
number, recorded as skipped and left out; only an unreadable file is fatal.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

KNOWN_TYPES = ("factoid", "list", "explain", "table", "unanswerable")
UNANSWERABLE_DOC_GROUP = "(unanswerable)"


class DatasetError(Exception):
    """The question file as a whole cannot be used (missing, unreadable)."""


class QuestionFormatError(ValueError):
    """One question line does not follow the format; the message says why."""


@dataclass(frozen=True)
class Question:
    """One gold question; `line` is kept so every report row can point back to the file."""

    id: str
    question: str
    answerable: bool
    answer: str
    evidence: str
    doc: str
    type: str
    section: str = ""
    subtype: str | None = None
    line: int = 0
    set: str = ""  # the question file it came from (its stem), so one run over several files reports each

    @property
    def doc_group(self) -> str:
        """Breakdown key by document; questions without a document get their own group."""
        return self.doc if self.doc else UNANSWERABLE_DOC_GROUP


@dataclass(frozen=True)
class SkippedLine:
    """A line left out of the run, reported so a silently shrinking set gets noticed."""

    line: int
    reason: str
    file: str = ""  # which question file, when several are scored together


@dataclass
class QuestionSet:
    """The usable questions of a file plus what was skipped and a fingerprint of the file."""

    path: str
    questions: list[Question] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)
    sha256: str = ""
    files: list[dict] = field(default_factory=list)  # per file: path, set, sha256, loaded, skipped_lines


_REQUIRED_STR = ("id", "question", "answer", "evidence", "doc", "type")


def parse_question(obj: Any, line: int = 0) -> Question:
    """Validate one decoded JSON value and build a `Question`; raise `QuestionFormatError` if unusable."""
    if not isinstance(obj, dict):
        raise QuestionFormatError(f"expected a JSON object, got {type(obj).__name__}")
    if obj.get("needs_review") is True:  # `qa feedback export`: a rating whose gold answer is not settled yet
        raise QuestionFormatError("needs review: its answer, evidence and doc are to be filled by a reviewer "
                                  "(`qa feedback review`)")
    missing = [k for k in (*_REQUIRED_STR, "answerable") if k not in obj]
    if missing:
        raise QuestionFormatError(f"missing key(s): {', '.join(missing)}")
    for key in _REQUIRED_STR:
        if not isinstance(obj[key], str):
            raise QuestionFormatError(f"key {key!r} must be a string, got {type(obj[key]).__name__}")
    if not isinstance(obj["answerable"], bool):
        raise QuestionFormatError(f"key 'answerable' must be true/false, got {type(obj['answerable']).__name__}")
    section = obj.get("section", "")
    if section is None:
        section = ""
    if not isinstance(section, str):
        raise QuestionFormatError(f"key 'section' must be a string, got {type(section).__name__}")
    subtype = obj.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise QuestionFormatError(f"key 'subtype' must be a string, got {type(subtype).__name__}")
    if not obj["id"].strip():
        raise QuestionFormatError("key 'id' is empty")
    if not obj["question"].strip():
        raise QuestionFormatError("key 'question' is empty")
    if not obj["type"].strip():
        raise QuestionFormatError("key 'type' is empty")
    if obj["answerable"]:
        # Relevance and answer metrics are undefined without gold text.
        if not obj["evidence"].strip():
            raise QuestionFormatError("answerable question with empty 'evidence'")
        if not obj["answer"].strip():
            raise QuestionFormatError("answerable question with empty 'answer'")
    return Question(
        id=obj["id"],
        question=obj["question"],
        answerable=obj["answerable"],
        answer=obj["answer"],
        evidence=obj["evidence"],
        doc=obj["doc"],
        type=obj["type"],
        section=section,
        subtype=subtype,
        line=line,
    )


def load_questions(path: str | Path) -> QuestionSet:
    """Read a JSONL question file; malformed lines are warned about (with line number) and skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetError(f"question file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise DatasetError(f"question file is a directory: {path}") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read question file {path}: {exc.strerror or exc}") from exc

    result = QuestionSet(path=str(path), sha256=hashlib.sha256(raw).hexdigest())
    seen: set[str] = set()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for number, line_bytes in enumerate(raw.split(b"\n"), start=1):
        if not line_bytes.strip():
            continue
        try:
            text = line_bytes.decode("utf-8")
            question = replace(parse_question(json.loads(text), line=number), set=path.stem)
            if question.id in seen:
                raise QuestionFormatError(f"duplicate id {question.id!r}")
        except UnicodeDecodeError:
            reason = "not valid UTF-8"
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} (column {exc.colno})"
        except QuestionFormatError as exc:
            reason = str(exc)
        else:
            seen.add(question.id)
            result.questions.append(question)
            continue
        logger.warning("%s:%d: skipped malformed question line: %s", path, number, reason)
        result.skipped.append(SkippedLine(line=number, reason=reason, file=str(path)))
    result.files = [{"path": str(path), "set": path.stem, "sha256": result.sha256, "loaded": len(result.questions),
                     "skipped_lines": len(result.skipped)}]
    return result


def load_question_sets(paths: Sequence[str | Path]) -> QuestionSet:
    """Several question files scored as one run: each question keeps its file as `set`, so the report
    gives every file and the whole (paraphrased and unanswerable questions are seen with the plain ones).

    Ids need only be unique within their file. Two files with the same stem are told apart by their path.
    """
    sets = [load_questions(p) for p in paths]
    if len(sets) == 1:
        return sets[0]
    stems = [Path(s.path).stem for s in sets]
    combined = QuestionSet(path=", ".join(s.path for s in sets),
                           sha256=hashlib.sha256("".join(s.sha256 for s in sets).encode()).hexdigest())
    for question_set, stem in zip(sets, stems):
        name = stem if stems.count(stem) == 1 else question_set.path
        combined.questions += [replace(q, set=name) for q in question_set.questions]
        combined.skipped += question_set.skipped
        combined.files += [{**question_set.files[0], "set": name}]
    return combined
