"""Character error rate, seconds per page and peak memory of the OCR candidates on rendered corpus pages.

    python -m benchmarks.ocr_quality [--pages-per-file 2] [--engines rapidocr,tesseract] [--out FILE]

Pages: excerpts of about 600 characters (whole lines) from each corpus file, spread through it, typeset as an A4
PDF (reportlab, 12 pt STSong-Light as the tests do; PDFium draws it with the system's Noto CJK); the text layer of
each page (pypdf) is the known text. Each page is rendered in grey by pypdfium2 at the size the service renders
scanned pages (2,000 px on the longer side, 171 dpi on A4; `--long-side` to change) and read by each engine in a
child process of its own, whose peak memory is reported (rapidocr: the child's VmHWM/VmPeak; tesseract: the
largest of its processes' maximum RSS).

CER = Levenshtein distance / characters of the known text, after normalising both texts the same way:
  - whitespace removed (line breaks fall where the typesetter wrapped, spaces are layout: Tesseract puts one
    between every two Han characters; Chinese text has none);
  - NFKC applied (full-width punctuation and digits become their ASCII forms: the recogniser often reads ，as ,).
"strict" CER keeps the widths (whitespace removed only). Seconds per page exclude loading the models (reported
apart). Engines: rapidocr (the service's own path: documents.ocr.read_page, layout included) and tesseract
(`tesseract IMAGE stdout -l chi_sim`, Debian's tesseract-ocr-chi-sim, when installed).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from qa_service.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "data" / "corpus"
EXCERPT_CHARS = 600
# Printed lines an A4 page of the builders' layout holds (12 pt, 19.2 pt leading, 1-inch margins: 36), less room
# for the page number; a longer excerpt would run off the page while its text layer still held the rest.
PAGE_LINES = 32
LINE_CHARS = 36  # characters of a printed line (451 pt / 12.5 pt a character, rounded down)


def _excerpts(per_file: int) -> list[tuple[str, str]]:
    """(label, text) page texts: whole lines from `per_file` places spread through each corpus file."""
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for k in range(per_file):
            start = (len(lines) * (2 * k + 1)) // (2 * per_file)
            page, size, printed = [], 0, 0
            for line in lines[start:]:
                line = line[:EXCERPT_CHARS]
                height = -(-len(line) // LINE_CHARS)
                if page and (size + len(line) > EXCERPT_CHARS or printed + height > PAGE_LINES):
                    break
                page.append(line)
                size, printed = size + len(line), printed + height
            out.append((f"{path.stem[:12]}#{k + 1}", "\n".join(page)))
    return out


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalise(text: str, fold_width: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text) if fold_width else text
    return "".join(text.split())


def cer(reference: str, hypothesis: str, fold_width: bool = True) -> float:
    ref, hyp = normalise(reference, fold_width), normalise(hypothesis, fold_width)
    return _levenshtein(ref, hyp) / max(len(ref), 1)


def _kilobytes(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _worker(engine: str, folder: Path) -> None:
    """Read every page image of `folder` with `engine`; print JSON (texts, seconds, memory) on stdout."""
    from PIL import Image

    images = sorted(folder.glob("*.png"))
    result: dict = {"engine": engine, "texts": [], "seconds": []}
    if engine == "rapidocr":
        from documents.ocr import OcrOptions, read_page
        from documents.ocr.engine import _engine

        options = OcrOptions()
        started = time.perf_counter()
        _engine(options.threads)
        result["load_seconds"] = time.perf_counter() - started
        for path in images:
            with Image.open(path) as image:
                image.load()
                started, cpu = time.perf_counter(), time.process_time()
                result["texts"].append("\n".join(read_page(image, options)))
                result["seconds"].append(time.perf_counter() - started)
                result.setdefault("cpu_seconds", []).append(time.process_time() - cpu)
        result["peak_rss_mb"] = _kilobytes("VmHWM") / 1024
        result["peak_address_space_mb"] = _kilobytes("VmPeak") / 1024
    else:
        result["load_seconds"] = 0.0
        for path in images:
            started, cpu = time.perf_counter(), _children_cpu()
            done = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim"], capture_output=True, check=True,
                                  env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
            result["seconds"].append(time.perf_counter() - started)
            result.setdefault("cpu_seconds", []).append(_children_cpu() - cpu)
            result["texts"].append(done.stdout.decode("utf-8", "replace"))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    json.dump(result, sys.stdout, ensure_ascii=False)


def _make_pages(folder: Path, per_file: int, long_side: int) -> list[tuple[str, str]]:
    """Typeset the excerpts, render each page to folder/NN.png; (label, text layer) per page."""
    import pypdf

    from documents.ocr.pdf_pages import render_page
    from tests.documents.loaders.builders import make_chinese_pdf

    excerpts = _excerpts(per_file)
    raw = make_chinese_pdf(None, [text for _, text in excerpts])
    layer = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(raw)).pages]
    for index in range(len(excerpts)):
        render_page(raw, index, long_side).save(folder / f"{index:02d}.png")
    return [(label, text) for (label, _), text in zip(excerpts, layer)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-per-file", type=int, default=2)
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--long-side", type=int, default=2000, help="pixels on the rendered page's longer side")
    parser.add_argument("--out", type=Path, help="write the per-page results as JSON")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]))
        return
    with tempfile.TemporaryDirectory(prefix="ocr-quality-") as tmp:
        folder = Path(tmp)
        pages = _make_pages(folder, args.pages_per_file, args.long_side)
        print(f"{len(pages)} pages, {sum(len(normalise(t)) for _, t in pages):,} characters, rendered at "
              f"{args.long_side} px on the longer side")
        report = {"pages": [label for label, _ in pages], "engines": {}}
        for engine in args.engines.split(","):
            if engine == "tesseract" and shutil.which("tesseract") is None:
                print("tesseract: not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim); skipped")
                continue
            # MALLOC_ARENA_MAX as the parsing child has it (documents/sandbox.py), so the memory is the service's
            done = subprocess.run([sys.executable, "-m", "benchmarks.ocr_quality", "--worker", engine, str(folder)],
                                  capture_output=True, text=True, cwd=PROJECT_ROOT,
                                  env={**os.environ, "MALLOC_ARENA_MAX": "2"})
            if done.returncode:
                print(f"{engine}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout)
            rates = [cer(text, hyp) for (_, text), hyp in zip(pages, result["texts"])]
            strict = [cer(text, hyp, fold_width=False) for (_, text), hyp in zip(pages, result["texts"])]
            errors = sum(_levenshtein(normalise(t), normalise(h)) for (_, t), h in zip(pages, result["texts"]))
            total = sum(len(normalise(t)) for _, t in pages)
            result.update(cer_per_page=rates, strict_cer_per_page=strict, cer=errors / total,
                          strict_cer=statistics.fmean(strict))
            report["engines"][engine] = result
            print(f"{engine}: CER {errors / total:.2%} (NFKC, whitespace removed; pages {min(rates):.2%}-"
                  f"{max(rates):.2%}), strict {statistics.fmean(strict):.2%}; "
                  f"{statistics.median(result['seconds']):.1f} s/page median"
                  + (f" ({statistics.median(result['cpu_seconds']):.1f} s of CPU)" if "cpu_seconds" in result else "")
                  + f", {max(result['seconds']):.1f} s max, model load {result['load_seconds']:.1f} s; "
                  f"peak RSS {result['peak_rss_mb']:.0f} MB"
                  + (f", peak address space {result['peak_address_space_mb']:.0f} MB"
                     if "peak_address_space_mb" in result else ""))
        if args.out:
            args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
