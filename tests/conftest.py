"""Shared fixtures for the book tests: the built site, and a local server for it.

These tests read `_build/html`, so `make book` must run first (`make test` does that).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"


def toc_files() -> list[str]:
    """Every document in _toc.yml (root first), as paths without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def notebook_chapters() -> list[str]:
    """Chapters in the TOC that are executable notebooks (they declare a kernel)."""
    return [f for f in toc_files() if "kernelspec:" in (ROOT / f"{f}.md").read_text()[:500]]


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail("the book is not built: run `make book` first")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 (a free port); yields the base URL."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=site)
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def pytest_terminal_summary(terminalreporter: object) -> None:
    """Print what the browser tests and the Binder runs measured (reported, not asserted)."""
    import test_browser
    import test_environments

    for title, report in (("in the browser", test_browser.REPORT), ("on Binder", test_environments.REPORT)):
        if report:
            terminalreporter.section(f"measured {title}")
            for line in report:
                terminalreporter.write_line(line)
