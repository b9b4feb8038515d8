"""Who wrote the answers of a run and what the LLM spent: the figures that judge a deployment's own model.

Read from /v1/ask's `generator`, `finish_reason`, `revision` and `usage` (issue 23). An LLM deployment answers
with "llm" when the model's text (cited by what it states, perhaps trimmed) is the answer, and with
"extractive" when the reader abstained or decided (no tokens spent) or the model's text was replaced; the
revision counts say how often the model's own citations had to be added or corrected (cited), how often
sentences no passage states were removed (trimmed) and how often its text was not used (replaced).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from eval.metrics import percentile_nearest_rank
from eval.rows import QuestionRow


def generation_summary(rows: Sequence[QuestionRow]) -> dict[str, Any]:
    """Counts by generator, finish_reason and revision, and the reported tokens (totals, per LLM call)."""
    asked = [r for r in rows if r.completion_tokens is not None]
    completion = [float(r.completion_tokens or 0) for r in asked]
    return {
        "generator": dict(Counter(r.generator or "unknown" for r in rows if r.answer is not None)),
        "finish_reason": dict(Counter(r.finish_reason for r in rows if r.finish_reason)),
        "revision": dict(Counter(r.revision or "none" for r in rows if r.answer is not None)),
        "llm_calls_reporting_usage": len(asked),
        "prompt_tokens": sum(r.prompt_tokens or 0 for r in asked),
        "completion_tokens": sum(int(c) for c in completion),
        "mean_prompt_tokens": sum(r.prompt_tokens or 0 for r in asked) / len(asked) if asked else None,
        "mean_completion_tokens": sum(completion) / len(completion) if completion else None,
        "p95_completion_tokens": percentile_nearest_rank(completion, 95),
    }


def render_generation(generation: dict[str, Any] | None) -> list[str]:
    """The lines the console summary and the Markdown report add (nothing for reports made before)."""
    if not generation:
        return []

    def counts(name: str) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(generation.get(name, {}).items())) or "—"

    def number(name: str) -> str:
        value = generation.get(name)
        return "—" if value is None else f"{value:.0f}"

    return [f"generator: {counts('generator')}; finish_reason: {counts('finish_reason')}; "
            f"revision: {counts('revision')}",
            f"LLM tokens ({generation.get('llm_calls_reporting_usage', 0)} calls reporting usage): prompt "
            f"{generation.get('prompt_tokens', 0)}, completion {generation.get('completion_tokens', 0)}; per call "
            f"prompt {number('mean_prompt_tokens')}, completion {number('mean_completion_tokens')} "
            f"(p95 {number('p95_completion_tokens')})"]
