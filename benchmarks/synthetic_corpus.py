"""A synthetic corpus N times the bundled one, as text files that `qa ingest` reads like any other.

    python -m benchmarks.synthetic_corpus --factor 10 --out DIR [--corpus data/corpus]

SYNTHETIC DATA. Copy k (1..N) of each document is its cleaned text (what the service reads from it, one paragraph
a line, so it re-ingests to the same structure) changed by a seed of its own:
- the digits 0-9 (ASCII and full-width) mapped through a permutation of the copy (numbers differ, lengths not);
- in every paragraph, its sentences rotated to start at a random one and in each sentence its clauses (split at ，);
- long paragraphs (120 characters or more: never a heading) shuffled among their own places within a section.
Headings stay where they are (shuffling short lines broke the detection of the compilations' member titles).
So almost every passage's text differs from every other copy's: the embedding cache and the de-duplication of
identical texts cannot skip the work that N real documents would need. The rest (titles alone, one-clause sections
without digits) is counted by `distinct_passages`.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any, Sequence

from documents.models import CleanedDocument
from documents.pipeline import DocumentPipeline

NOTE = ("synthetic: copy k of each bundled document with its digits permuted, the sentences of each "
        "paragraph and the clauses of each sentence rotated and its long paragraphs shuffled within their sections (seeded per copy); headings kept")
DIGITS = "0123456789"
FULL_WIDTH = "０１２３４５６７８９"
SENTENCE = re.compile(r"[^。！？；]*[。！？；]?")
LONG_PARAGRAPH = 120  # characters; shorter lines may be headings the detector reads in context


def digit_table(copy: int) -> dict[int, str]:
    """The copy's permutation of the digits, for str.translate."""
    order = list(DIGITS)
    random.Random(copy).shuffle(order)
    mapped = "".join(order)
    return str.maketrans(DIGITS + FULL_WIDTH, mapped + "".join(FULL_WIDTH[int(d)] for d in mapped))


def _rotated(parts: list[str], rng: random.Random) -> list[str]:
    i = rng.randrange(len(parts))
    return parts[i:] + parts[:i]


def rotate_sentences(line: str, rng: random.Random) -> str:
    """The line's sentences from a random one on, and in each its clauses (split at ，) from a random one on."""
    sentences = [p for p in SENTENCE.findall(line) if p]
    out = []
    for sentence in _rotated(sentences, rng) if sentences else [line]:
        end = sentence[-1] if sentence[-1:] in ("。", "！", "？", "；") else ""
        clauses = sentence[:len(sentence) - len(end)].split("，")
        if len(clauses) > 1 and all(clauses):  # an empty clause (，，or a trailing ，) would move a comma
            clauses = _rotated(clauses, rng)
        out.append("，".join(clauses) + end)
    return "".join(out)


def shuffle_long(run: list[str], rng: random.Random) -> list[str]:
    """The long paragraphs of a section change places among themselves; the other lines stay."""
    places = [i for i, line in enumerate(run) if len(line) >= LONG_PARAGRAPH]
    moved = [run[i] for i in places]
    rng.shuffle(moved)
    out = list(run)
    for i, line in zip(places, moved):
        out[i] = line
    return out


def variant(doc: CleanedDocument, copy: int) -> str:
    """Copy `copy` of a cleaned document's text (see the module docstring)."""
    rng = random.Random(f"{copy}:{doc.name}")
    table = digit_table(copy)
    headings = {h.start: h for h in doc.headings}
    out: list[str] = []
    run: list[str] = []
    pos = 0
    for line in doc.text.split("\n"):
        heading = headings.get(pos)
        pos += len(line) + 1
        if heading is None:
            run.append(rotate_sentences(line, rng).translate(table))
            continue
        out += shuffle_long(run, rng)
        run = []
        n = len(heading.text) if line.startswith(heading.text) else len(line)  # a heading may lead its paragraph
        out.append(line[:n] + rotate_sentences(line[n:], rng).translate(table))
    return "\n".join(out + shuffle_long(run, rng))


def write(corpus: Sequence[Path], factor: int, out: Path) -> dict[str, Any]:
    """Writes `factor` copies of every document under `corpus` into `out` (emptied first); what was made."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    batch = DocumentPipeline().run([str(p) for p in corpus])
    for copy in range(1, factor + 1):
        for doc in batch.documents:
            (out / f"{Path(doc.name).stem}（合成副本{copy:02d}）.txt").write_text(variant(doc, copy), encoding="utf-8")
    return {"factor": factor, "documents": factor * len(batch.documents), "source_chunks": len(batch.chunks),
            "bytes": sum(p.stat().st_size for p in out.glob("*.txt")), "dir": str(out), "note": NOTE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, nargs="+", default=[Path("data/corpus")])
    args = parser.parse_args()
    sys.stdout.write(json.dumps(write(args.corpus, args.factor, args.out), ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
