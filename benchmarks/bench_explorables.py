"""Key press to paint in every explorable of the built book, in headless Chromium: the median
over several visits of each page (the browser test reports one visit; latency is noisy, so it is
measured here, never asserted). Target: a median within 17 ms, one frame at 60 Hz.

Needs the built site (``make book``) and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

VISITS = 3
PRESSES = 10
TARGET_MS = 17.0


def main() -> None:
    import functools
    import http.server
    import threading

    from conftest import SITE, _QuietHandler, toc_files
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, FLAGS, MEASURE_NEXT_SWITCH, Visit

    if not (SITE / "index.html").exists() or not Path(CHROMIUM).exists():
        print("skipped: needs the built book (make book) and Chromium at", CHROMIUM)
        return
    pages = [f"{doc}.html" for doc in toc_files() if "explorable(" in (ROOT / f"{doc}.md").read_text()]
    handler = functools.partial(_QuietHandler, directory=SITE)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    print(
        f"{'page':38s} {'explorable':>10s} {'median ms':>10s}  (over {VISITS} visits x {PRESSES} key presses)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for path in pages:
            times: dict[int, list[float]] = {}
            for _ in range(VISITS):
                v = Visit(browser, base, path)
                boxes = v.page.locator(".reidlab-explorable")
                boxes.first.wait_for(timeout=15_000)
                for i in range(boxes.count()):
                    box = boxes.nth(i)
                    box.scroll_into_view_if_needed()
                    handle = box.locator(".noUi-handle").first
                    for k in range(PRESSES):
                        box.evaluate(MEASURE_NEXT_SWITCH)
                        handle.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
                        times.setdefault(i, []).append(v.page.evaluate("window.__switched"))
                v.context.close()
            for i, ms in times.items():
                median = statistics.median(ms)
                mark = "" if median <= TARGET_MS else f"  over the {TARGET_MS:g} ms target"
                print(f"{path:38s} {i:10d} {median:10.1f}{mark}")
        browser.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
