"""For the web page tests: Debian's headless Chromium driven by Playwright, or a skip that says how to get it."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from qa_service.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"  # screenshots (ignored by git)
HOW_TO_ENABLE = ("enable them with `apt-get install chromium` and `pip install playwright` "
                 "(or `pip install -e '.[test]'`); `.ci/run` does both")
WAIT_MS = 15_000  # generous: CI machines are shared and slow


@contextmanager
def chromium(*args: str) -> Iterator:
    """A headless Chromium (with extra command-line `args`); skips the test when the browser or the playwright
    package is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}: {HOW_TO_ENABLE}")
    try:
        from playwright.sync_api import expect as playwright_expect, sync_playwright
    except ImportError:
        pytest.skip(f"browser tests need the playwright package: {HOW_TO_ENABLE}")
    playwright_expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(args))
        try:
            yield browser
        finally:
            browser.close()


def expect(target):
    """Playwright's retrying assertions, imported only by tests that already have a browser."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
