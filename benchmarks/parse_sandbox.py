"""Per-file cost of parsing in the sandbox (documents/sandbox.py) against parsing in this process.

    python -m benchmarks.parse_sandbox [--repeat 30]

Prints the median and p90 milliseconds of each, for a two-page PDF (the upload an answer is wanted from in under
a second), a short text file and a 60 KB corpus file, plus the first parse (a child starting) and the time to
refuse the issue-16 hostile files at their caps.
"""
from __future__ import annotations

import argparse
import statistics
import time

from documents.sandbox import InProcessParser, ParseLimits, ParseSandbox
from qa_service.settings import PROJECT_ROOT
from tests.documents.hostile_files import docx_bomb, many_page_pdf, nested_html, pdf_with_huge_stream, random_gbk_pairs
from tests.qa_service.intake_testlib import two_page_pdf


def _times(parse, name: str, raw: bytes, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        parse(name, raw)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    sandbox = ParseSandbox(ParseLimits())
    started = time.perf_counter()
    sandbox.parse("warm.txt", "正文内容。".encode())
    print(f"first parse (a child starts and imports the loaders): {(time.perf_counter() - started) * 1000:.0f} ms")
    local = InProcessParser()
    files = [("两页.pdf", two_page_pdf()), ("短.txt", "关于加快建设科技强国的通知。".encode() * 20),
             ("方案.txt", (PROJECT_ROOT / "data" / "corpus" / "中国电科双创示范基地建设方案.txt").read_bytes())]
    print(f"{'file':12} {'bytes':>8} {'in-process ms':>22} {'sandbox ms':>22} {'overhead ms':>12}")
    for name, raw in files:
        a = _times(local.parse, name, raw, args.repeat)
        b = _times(sandbox.parse, name, raw, args.repeat)
        print(f"{name:12} {len(raw):8} {statistics.median(a):10.2f} (p90 {sorted(a)[int(len(a) * .9)]:7.2f})"
              f" {statistics.median(b):10.2f} (p90 {sorted(b)[int(len(b) * .9)]:7.2f})"
              f" {statistics.median(b) - statistics.median(a):12.2f}")
    for name, raw in (("炸弹.docx", docx_bomb(100 << 20)), ("大流.pdf", pdf_with_huge_stream(10, 70_000_000)),
                      ("万页.pdf", many_page_pdf(10_000)), ("嵌套.html", nested_html(1_200)),
                      ("乱码.txt", random_gbk_pairs(200_000))):
        started = time.perf_counter()
        try:
            sandbox.parse(name, raw)
            outcome = "parsed"
        except Exception as exc:  # noqa: BLE001 (reporting the refusal is the point)
            outcome = type(exc).__name__
        print(f"{name:12} {len(raw):8} refused as {outcome} in {(time.perf_counter() - started) * 1000:.0f} ms")
    sandbox.close()


if __name__ == "__main__":
    main()
