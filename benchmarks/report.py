"""The readable form of a benchmark result: Markdown tables, as pasted into docs/performance.md."""
from __future__ import annotations

from typing import Any


def _s(seconds: float) -> str:
    if seconds >= 120:
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _lat(figures: dict[str, Any]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p95_ms']:.1f} / {figures['p99_ms']:.1f}"


def _header(result: dict[str, Any]) -> list[str]:
    m, e = result["machine"], result["embedding"]
    load = " / ".join(f"{x:.1f}" for x in m["load_average"])
    return [
        f"Run {result['date']} (`{result['command']}`{', QUICK: not comparable' if result['quick'] else ''}), "
        f"{result.get('seconds', 0):.0f} s in all.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {', '.join(m['cpu_flags'])}; "
        f"load average at start {load}. Encoder: {e['model']} {e['variant']} (batch {e['batch_size']}, "
        f"threads {e['threads']}); torch {result['libraries'].get('torch')}, "
        f"faiss {result['libraries'].get('faiss-cpu')}, openvino {result['libraries'].get('openvino')}.",
        "",
    ]


def _ingest(r: dict[str, Any]) -> list[str]:
    cold, warm, changed = r["cold"], r["unchanged"], r["one_document_changed"]
    rows = [
        "| ingest | figure |", "|---|---|",
        f"| cold ({r['documents']} documents, {r['chunks']:,} chunks, fresh embedding cache) | {_s(cold['total_seconds'])}: "
        f"load+clean+chunk {_s(cold['load_clean_chunk_seconds'])}, embed {_s(cold['embed_seconds'])}, index "
        f"{_s(cold['index_seconds'])}; {cold['chunks_per_s']:.1f} chunks/s; peak RSS {cold['peak_rss_mib']:.0f} MiB; "
        f"process wall {_s(cold['process_wall_seconds'])} (model load {_s(cold['model_load_seconds'])}) |",
    ]
    if "floor" in r:
        f = r["floor"]
        rows.append(f"| floor: bare `encode_documents`, {f['chunks']:,} of the {f['of']:,} chunks | {f['chunks_per_s']:.1f} "
                    f"chunks/s; ingest / floor = **{r['ratio_ingest_to_floor']:.2f}** (embed step alone "
                    f"{r['ratio_embed_step_to_floor']:.2f}) |")
    rows += [
        f"| unchanged corpus again | {_s(warm['total_seconds'])} ({warm['embedded']} embedded, {warm['from_cache']:,} "
        f"from the cache); process wall {_s(warm['process_wall_seconds'])} |",
        f"| one document changed ({changed['document']}, {changed['document_chunks']} chunks, "
        f"{changed['new_chunk_texts']} with new text) | {_s(changed['total_seconds'])}: {changed['embedded']} embedded, "
        f"{changed['from_cache']:,} from the cache; new texts outside the document: "
        f"{changed['new_chunk_texts_outside_document']} |",
        "",
    ]
    return rows


def _queries(r: dict[str, Any]) -> list[str]:
    rows = ["| queries (p50 / p95 / p99 ms; requests/s; server cores used) | c=1 | c=4 | c=16 |", "|---|---|---|---|",
            f"| floor: one query encoded in process | {_lat(r['floor_encode_query'])} | | |"]
    modes = [("in process (Flask test client)", "in_process"), ("HTTP, waitress (8 threads)", "http_waitress"),
             ("HTTP, gunicorn 2 workers x 8 threads", "http_gunicorn_2_workers")]
    for label, key in modes:
        if key not in r:
            continue
        for endpoint in ("search", "ask"):
            cells = []
            for c in (1, 4, 16):
                f = r[key].get(f"{endpoint}@{c}")
                cells.append(f"{_lat(f)}; {f['requests_per_s']:.0f}/s; {f['server_cores_used']:.2f}" if f else "–")
            rows.append(f"| /v1/{endpoint}, {label} | " + " | ".join(cells) + " |")
    first = r["http_waitress"].get("ask_first_pass")
    if first:
        rows.append(f"| /v1/ask, HTTP, waitress, first pass after start (per-passage caches cold) | {_lat(first)} | | |")
    inter = r["http_waitress"]["ask_vs_floor_interleaved"]
    rows += ["", f"HTTP /v1/ask p50 at c=1 / floor = **{r['ratio_http_ask_p50_to_floor']:.2f}** (goal ≤ 1.5): "
             f"{inter['http_ask']['p50_ms']:.1f} ms / {inter['floor']['p50_ms']:.1f} ms, each question encoded in "
             f"process right before it is asked over HTTP ({inter['http_ask']['n']} pairs).", ""]
    return rows


def _profile(r: dict[str, Any]) -> list[str]:
    shares = ", ".join(f"{k} {v:.0f}%" for k, v in r["profiled_share_percent"].items())
    return [f"In-service ask p50 {r['ask_in_service']['p50_ms']:.1f} ms, of which encoding the query "
            f"{r['encode_query']['p50_ms']:.1f} ms: {r['non_encoder_p50_ms']:.1f} ms of other work. cProfile shares "
            f"(cumulative, overlapping): {shares}.", ""]


def _startup(r: dict[str, Any]) -> list[str]:
    i = r["index"]
    parts = ", ".join(f"{k} {v:,}" for k, v in i["bytes_per_chunk_by_part"].items())
    rows = ["| start-up and memory | figure |", "|---|---|"]
    for key, label in (("waitress", "`qa serve` (waitress)"), ("gunicorn_2_workers", "`qa serve --workers 2`")):
        if key in r:
            s = r[key]
            rows.append(f"| {label}: start to ready (median of {s['repeats']}) | {_s(s['ready_seconds'])}; RSS "
                        f"{s['rss_ready_mib']:.0f} MiB ready, {s['rss_after_warmup_mib']:.0f} MiB after one ask per "
                        f"question |")
    rows += [f"| index on disk | {i['total_mib']:.1f} MiB for {i['chunks']:,} chunks = {i['bytes_per_chunk']:,} bytes per "
             f"chunk ({parts}) |", ""]
    return rows


def _growth(r: dict[str, Any]) -> list[str]:
    rows = [f"Growth ({r['note']}).", "",
            "| chunks | ingest (estimate) | build peak RSS | served store | server ready / RSS | HTTP ask p50 / p95 | HTTP search p50 "
            "| exact search k=50 p50 | HNSW build / p50 / recall@10 | IVF build / p50 / recall@10 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for factor, g in r["factors"].items():
        st, serve = g["stores"], g["serve"]
        hnsw, ivf, flat = st["hnsw"], st["ivf"], st["flat"]
        ingest = _s(g["ingest_seconds_estimate"]) if "ingest_seconds_estimate" in g else "–"
        rows.append(
            f"| {g['chunks']:,} ({factor}x) | {ingest} | {g['build_peak_rss_mib']:,.0f} MiB | {g.get('served_vector_index', 'flat')} | {_s(serve['ready_seconds'])} / "
            f"{serve['server_rss_mib']:,.0f} MiB | {serve['http_ask@1']['p50_ms']:.1f} / {serve['http_ask@1']['p95_ms']:.1f} "
            f"| {serve['http_search@1']['p50_ms']:.1f} | {flat['search_k50']['p50_ms']:.2f} ms | "
            f"{_s(hnsw['build_seconds'])} / {hnsw['search_k50']['p50_ms']:.2f} ms / {hnsw['recall@10_vs_exact']:.3f} | "
            + (f"{_s(ivf['build_seconds'])} / {ivf['search_k50']['p50_ms']:.2f} ms / {ivf['recall@10_vs_exact']:.3f} |"
               if "skipped" not in ivf else "not measured (time) |"))
    sweeps = []
    for factor, g in r["factors"].items():
        sweep = {**g["stores"]["hnsw"].get("ef_search_sweep", {}),
                 "256": {"p50_ms": g["stores"]["hnsw"]["search_k50"]["p50_ms"],
                         "recall": g["stores"]["hnsw"]["recall@10_vs_exact"]}}
        cells = ", ".join(f"{ef}: {v['p50_ms']:.2f} ms / {v['recall']:.3f}" for ef, v in sorted(sweep.items(), key=lambda x: int(x[0])))
        sweeps.append(f"- {factor}x: {cells}")
    rows += ["", "HNSW search breadth (efSearch: p50 for k=50 / recall@10 against exact):", *sweeps]
    return rows + [""]


def _full_quality(c: dict[str, Any]) -> str:
    if c.get("full_quality_seconds") is not None:
        return _s(c["full_quality_seconds"])
    p = c.get("full_quality_projection") or {}
    if p.get("seconds_from_rate") is None:
        return f"not reached ({p.get('measured')})"
    server = p.get("seconds_from_server_estimate")
    return (f"**projected** {_s(p['seconds_from_rate'])} from {p['passages_per_s']:.1f} passages/s"
            + (f" ({_s(server)} by the server's estimate)" if server is not None else "") + f"; {p['measured']}")


def _upload(u: dict[str, Any]) -> str:
    before = u["server_before"]
    state = before.get("retrieval") or "?"
    if state != "hybrid" and (before.get("embedding") or {}).get("phase"):
        state += f", embedding ({before['embedding']['phase']})"
    again = f" / {_s(u['hybrid_again_seconds'])}" if "hybrid_again_seconds" in u else " / –"
    return f"{_s(u['post_seconds'])} / {_s(u['answerable_seconds'])}{again} (server {state})"


def _readiness(r: dict[str, Any]) -> list[str]:
    rows = ["| readiness (`qa ingest --lexical` + `qa serve`, empty embedding cache; seconds from the ingest's start) "
            "| first answer | full quality (hybrid) | upload of a 2-page PDF: POST / answerable / hybrid again |",
            "|---|---|---|---|"]
    for key, c in r.items():
        if not isinstance(c, dict):
            continue
        label = "bundled corpus" if key == "bundled" else f"synthetic {c['synthetic']['factor']}x"
        rows.append(f"| {label}: {c['passages']:,} passages ({c['distinct_texts']:,} distinct), lexical ingest "
                    f"{_s(c['lexical_ingest_seconds'])} | {_s(c['first_answer_seconds'])} | {_full_quality(c)} | "
                    f"{_upload(c['upload'])} |")
    load = " / ".join(f"{x:.1f}" for x in r["load_average_at_start"])
    synthetic = next((c["synthetic"]["note"] for c in r.values() if isinstance(c, dict) and "synthetic" in c), None)
    return rows + ["", f"Load average at the step's start {load}." + (f" The larger corpus is {synthetic}." if
                                                                      synthetic else ""), ""]


def markdown_table(result: dict[str, Any]) -> str:
    lines = _header(result)
    for key, render in (("ingest", _ingest), ("profile", _profile), ("queries", _queries), ("startup", _startup),
                        ("growth", _growth), ("readiness", _readiness)):
        if key in result:
            lines += render(result[key])
    return "\n".join(lines) + "\n"
