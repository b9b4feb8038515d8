"""Long questions of any content against `qa serve`: what one 2,000-character question costs.

    python -m benchmarks.long_questions --index DIR [--repeats 3] [--chars 2000] [--kinds "rare Han,mixed"]
                                        [--concurrent 8]

`qa serve` is spawned on the index; for each kind of text (rare Han characters jieba's HMM does not know,
random CJK, Latin, digits, emoji, a mix, quoted terms, real corpus text) /v1/ask is timed `repeats` times
and /v1/search once, and a normal question's ask is timed after each kind. Then `concurrent` rare-Han asks
are sent at once and a normal ask is timed while they run. Before the bounds of issue 16 a 2,000-character
rare-Han ask took 34 s here, and a normal ask waited 52 s behind 8 of them. Figures: median wall-clock
seconds per request.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import WORK_DIR, median, start_server, wait_ready, write_json
from qa_service.settings import PROJECT_ROOT, Settings

log = logging.getLogger("benchmarks.long_questions")
NORMAL = "海淀区有多少所高等院校？"


def long_texts(n: int = 2000, seed: int = 16) -> dict[str, str]:
    """Texts of n characters of each kind, the same for every run."""
    from jieba.posseg import char_state_tab_P

    rng = random.Random(seed)
    uro = [chr(c) for c in range(0x4E00, 0x9FD6)]  # the Han characters jieba's HMM is given
    unknown = [c for c in uro if c not in char_state_tab_P]  # ... and those its model does not know
    emoji = [chr(c) for c in range(0x1F600, 0x1F650)]
    corpus = (PROJECT_ROOT / "data" / "corpus" / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
    return {
        "rare Han": "".join(rng.choice(unknown) for _ in range(n)),
        "random CJK": "".join(rng.choice(uro) for _ in range(n)),
        "rare pairs": "".join(rng.choice(unknown) + rng.choice(unknown) + "的" for _ in range(n // 3)),
        "Latin": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(n)),
        "digits": "".join(rng.choice("0123456789") for _ in range(n)),
        "emoji": "".join(rng.choice(emoji) for _ in range(n)),
        "mixed": "".join(rng.choice(unknown + uro[:300] + list("abc123 ，。“”《》") + emoji) for _ in range(n)),
        "quoted terms": "".join(f"“{rng.choice(uro)}{rng.choice(uro)}”" for _ in range(n // 4)),
        "corpus text": corpus[2000:2000 + n],
    }


def _post(url: str, path: str, body: dict[str, Any]) -> tuple[float, int]:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        resp.read()
        return time.perf_counter() - started, resp.status


def run(settings: Settings, repeats: int = 3, chars: int = 2000, kinds: list[str] | None = None,
        concurrent: int = 8, work: Path = WORK_DIR) -> dict[str, Any]:
    texts = long_texts(chars)
    work.mkdir(parents=True, exist_ok=True)
    server = start_server(settings, log_file=work / "long-questions-server.log")
    try:
        wait_ready(server)
        _post(server.url, "/v1/ask", {"question": NORMAL})  # warm-up
        rows = []
        for kind in kinds or list(texts):
            text = texts[kind]
            ask = [_post(server.url, "/v1/ask", {"question": text}) for _ in range(repeats)]
            search, _ = _post(server.url, "/v1/search", {"query": text})
            normal, _ = _post(server.url, "/v1/ask", {"question": NORMAL})
            rows.append({"kind": kind, "chars": len(text), "status": ask[0][1],
                         "ask_s": round(median([s for s, _ in ask]), 3), "search_s": round(search, 3),
                         "normal_ask_after_s": round(normal, 3)})
            log.info("%s", rows[-1])
        under_load = None
        if concurrent:
            with ThreadPoolExecutor(concurrent) as pool:
                started = time.perf_counter()
                long_asks = [pool.submit(_post, server.url, "/v1/ask", {"question": texts["rare Han"]})
                             for _ in range(concurrent)]
                time.sleep(0.2)  # the long asks are in the server
                normal, _ = _post(server.url, "/v1/ask", {"question": NORMAL})
                statuses = [f.result()[1] for f in long_asks]
                under_load = {"concurrent": concurrent, "normal_ask_s": round(normal, 3),
                              "all_long_asks_done_s": round(time.perf_counter() - started, 3), "statuses": statuses}
            log.info("under load: %s", under_load)
    finally:
        server.stop()
    result = {"repeats": repeats, "rows": rows, "under_load": under_load}
    write_json(work / "long-questions.json", result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--concurrent", type=int, default=8, help="rare-Han asks at once for the load figure (0: none)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] or None
    result = run(Settings.from_env(index_dir=args.index), args.repeats, args.chars, kinds, args.concurrent)
    print(f"{'kind':14s} {'chars':>5s} {'status':>6s} {'ask s':>7s} {'search s':>8s} {'normal ask after s':>18s}")
    for r in result["rows"]:
        print(f"{r['kind']:14s} {r['chars']:5d} {r['status']:6d} {r['ask_s']:7.3f} {r['search_s']:8.3f} "
              f"{r['normal_ask_after_s']:18.3f}")
    if load := result["under_load"]:
        print(f"{load['concurrent']} rare-Han asks at once: a normal ask took {load['normal_ask_s']:.3f} s, "
              f"all done after {load['all_long_asks_done_s']:.3f} s, statuses {sorted(set(load['statuses']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
