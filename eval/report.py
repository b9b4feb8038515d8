"""Write reports (JSON for machines, Markdown for people) and compare two JSON reports."""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.generation import render_generation
from eval.metrics import LATENCY_METRICS, METRIC_NAMES
from eval.runner import EvalReport

logger = logging.getLogger(__name__)


class ReportError(Exception):
    """A report file cannot be read or is not an eval report."""


def write_json(report: EvalReport, path: str | Path) -> None:
    """Write the full report (config, metrics, breakdowns, rows) as UTF-8 JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report written by `write_json`; ReportError if missing or not a report."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(f"report not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read report {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReportError(f"report {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ReportError(f"{path} is not an eval report (no 'metrics' object)")
    return data


def format_value(metric: str, value: Any) -> str:
    """Ratios with 3 decimals, latencies in ms with 1 decimal, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if not isinstance(value, (int, float)):
        return str(value)
    if metric in LATENCY_METRICS:
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_delta(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value >= 0 else "") + format_value(metric, value)


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _as_dict(report: EvalReport | Mapping[str, Any]) -> dict[str, Any]:
    return report.to_dict() if isinstance(report, EvalReport) else dict(report)


def _group_table(title: str, label: str, groups: Mapping[str, Any]) -> list[str]:
    if not groups:
        return []
    header = [label, "n", "answerable", *METRIC_NAMES]
    lines = [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, group in groups.items():
        cells = [_md_escape(name), str(group["count"]), str(group["answerable"])]
        cells += [format_value(metric, group["metrics"].get(metric)) for metric in METRIC_NAMES]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def calibration_table(calibration: Sequence[Mapping[str, Any]]) -> list[str]:
    """The Markdown table of a calibration (metrics.calibration rows as dicts); none when nothing was answered."""
    if not any(row.get("answered") for row in calibration):
        return []
    lines = ["| confidence | answered | mean confidence | right | answered at or above | right at or above |",
             "|---|---|---|---|---|---|"]
    for row in calibration:
        lines.append(f"| {row['low']:.1f} | {row['answered']} | {format_value('', row['mean_confidence'])} | "
                     f"{format_value('', row['right'])} | {row['answered_at_or_above']} | "
                     f"{format_value('', row['right_at_or_above'])} |")
    return lines


def render_summary(report: EvalReport | Mapping[str, Any]) -> str:
    """The console summary: every metric for each question file and for the whole run."""
    data = _as_dict(report)
    sets = data.get("by_set", {})
    columns = [(name, group["metrics"], group["count"]) for name, group in sets.items()] if len(sets) > 1 else []
    columns.append(("all" if columns else "value", data["metrics"], data.get("counts", {}).get("questions")))
    width = max(len(name) for name in METRIC_NAMES)
    cells = [max(9, len(name)) for name, _, _ in columns]
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{name:>{w}}" for (name, _, _), w in zip(columns, cells)),
             f"{'questions':<{width}}  " + "  ".join(f"{str(n):>{w}}" for (_, _, n), w in zip(columns, cells))]
    for metric in METRIC_NAMES:
        lines.append(f"{metric:<{width}}  " + "  ".join(
            f"{format_value(metric, values.get(metric)):>{w}}" for (_, values, _), w in zip(columns, cells)))
    lines += render_generation(data.get("generation"))
    return "\n".join(lines) + "\n"


def render_markdown(report: EvalReport | Mapping[str, Any]) -> str:
    """A readable summary: configuration, overall metrics, per-type and per-doc tables, caveats."""
    data = _as_dict(report)
    config = data.get("config", {})
    counts = data.get("counts", {})
    questions = data.get("questions", {})
    target = config.get("url") or f"in process (index: {config.get('index') or 'default'})"
    chunking = config.get("chunking") or {}
    lines = [
        "# Evaluation report",
        "",
        f"- Questions: `{questions.get('path')}` (sha256 {str(questions.get('sha256', ''))[:12]}): "
        f"{counts.get('questions')} scored ({counts.get('answerable')} answerable, "
        f"{counts.get('unanswerable')} unanswerable), {counts.get('skipped_lines', 0)} malformed line(s) skipped, "
        f"{counts.get('errors', 0)} with service errors",
        f"- Service: {config.get('backend')} — {target}",
        f"- Model: {config.get('model') or '—'}; retriever: {config.get('retriever') or '—'}; "
        f"chunking: {', '.join(f'{k}={v}' for k, v in chunking.items()) or '—'}",
        f"- top_k: search {config.get('top_k')}, ask {config.get('ask_top_k')}",
        f"- Created: {data.get('created_at')}",
        "",
        "## Overall",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for metric in METRIC_NAMES:
        lines.append(f"| {metric} | {format_value(metric, data['metrics'].get(metric))} |")
    lines.append("")
    if generated := render_generation(data.get("generation")):
        lines += ["## Generation", "", *(f"- {line}" for line in generated), ""]
    sets = data.get("by_set", {})
    if len(sets) > 1:
        lines += _group_table("By question file", "file", sets)
    lines += _group_table("By type", "type", data.get("by_type", {}))
    lines += _group_table("By document", "doc", data.get("by_doc", {}))
    subtypes = data.get("by_subtype", {})
    if subtypes:
        lines += ["## Unanswerable questions by subtype", "", "| subtype | n | abstained | abstain_recall |", "|---|---|---|---|"]
        for name, group in subtypes.items():
            recall = format_value("abstain_recall", group["metrics"].get("abstain_recall"))
            lines.append(f"| {_md_escape(name)} | {group['count']} | {group['abstained']} | {recall} |")
        lines.append("")
    table = calibration_table(data.get("calibration", []))
    if table:
        lines += ["## Confidence calibration (answered questions)", "", *table, ""]
    rows = data.get("rows", [])
    misses = [r["id"] for r in rows if r.get("gold_answerable") and r.get("first_relevant_rank") is None]
    wrong_abstain = [r["id"] for r in rows if r.get("gold_answerable") and r.get("abstained")]
    missed_abstain = [r["id"] for r in rows if not r.get("gold_answerable") and not r.get("abstained")]
    lines += ["## Misses", ""]
    lines.append(f"- No relevant passage in top {config.get('top_k')} ({len(misses)}): {', '.join(misses) or '—'}")
    lines.append(f"- Abstained on answerable ({len(wrong_abstain)}): {', '.join(wrong_abstain) or '—'}")
    lines.append(f"- Answered unanswerable ({len(missed_abstain)}): {', '.join(missed_abstain) or '—'}")
    lines.append("")
    errors = [(r["id"], "; ".join(r["errors"])) for r in rows if r.get("errors")]
    if errors:
        lines += ["## Service errors", ""] + [f"- {qid}: {_md_escape(msg)}" for qid, msg in errors] + [""]
    skipped = questions.get("skipped", [])
    if skipped:
        lines += ["## Skipped question lines", ""] + [f"- line {s['line']}: {_md_escape(s['reason'])}" for s in skipped] + [""]
    notes = data.get("notes", [])
    if notes:
        lines += ["## Notes", ""] + [f"- {_md_escape(n)}" for n in notes] + [""]
    definitions = data.get("definitions", {})
    if definitions:
        lines += ["## Definitions", ""] + [f"- **{k}**: {_md_escape(v)}" for k, v in definitions.items()] + [""]
    return "\n".join(lines)


def write_markdown(report: EvalReport | Mapping[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), encoding="utf-8")


@dataclass(frozen=True)
class MetricDelta:
    """One line of a comparison: `scope` is "overall" or "type:<name>"."""

    scope: str
    metric: str
    a: float | None
    b: float | None
    delta: float | None  # b - a, None if either side is missing


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _deltas(scope: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[MetricDelta]:
    out = []
    for metric in METRIC_NAMES:
        va, vb = _number(a.get(metric)), _number(b.get(metric))
        out.append(MetricDelta(scope, metric, va, vb, None if va is None or vb is None else vb - va))
    return out


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[MetricDelta]:
    """Deltas (b - a) of every metric, overall, per question file and per type (those in either report)."""
    if a.get("questions", {}).get("sha256") != b.get("questions", {}).get("sha256"):
        logger.warning("the two reports were made on different question files; deltas may not be comparable")
    deltas = _deltas("overall", a["metrics"], b["metrics"])
    sets_a, sets_b = a.get("by_set", {}), b.get("by_set", {})
    if len(sets_a) > 1 or len(sets_b) > 1:
        for name in sorted(set(sets_a) | set(sets_b)):
            deltas += _deltas(
                f"set:{name}", sets_a.get(name, {}).get("metrics", {}), sets_b.get(name, {}).get("metrics", {})
            )
    types_a, types_b = a.get("by_type", {}), b.get("by_type", {})
    for name in sorted(set(types_a) | set(types_b)):
        deltas += _deltas(
            f"type:{name}", types_a.get(name, {}).get("metrics", {}), types_b.get(name, {}).get("metrics", {})
        )
    return deltas


def _describe(label: str, path: str, report: Mapping[str, Any]) -> str:
    config = report.get("config", {})
    return (
        f"{label}: {path} (retriever={config.get('retriever')}, model={config.get('model')}, "
        f"top_k={config.get('top_k')}, ask_top_k={config.get('ask_top_k')}, "
        f"questions={report.get('counts', {}).get('questions')})"
    )


def render_comparison(
    deltas: Sequence[MetricDelta], a: Mapping[str, Any], b: Mapping[str, Any], path_a: str = "a", path_b: str = "b"
) -> str:
    """Plain-text tables (metric, a, b, delta), one per scope."""
    lines = [_describe("a", path_a, a), _describe("b", path_b, b)]
    scopes: dict[str, list[MetricDelta]] = {}
    for d in deltas:
        scopes.setdefault(d.scope, []).append(d)
    width = max(len(name) for name in METRIC_NAMES)
    for scope, items in scopes.items():
        lines += ["", f"[{scope}]", f"{'metric':<{width}}  {'a':>9}  {'b':>9}  {'delta':>9}"]
        for d in items:
            lines.append(
                f"{d.metric:<{width}}  {format_value(d.metric, d.a):>9}  {format_value(d.metric, d.b):>9}  "
                f"{format_delta(d.metric, d.delta):>9}"
            )
    return "\n".join(lines) + "\n"
