"""The built book in a real browser (Debian's Chromium, driven by Playwright), as a reader sees it.

Every page: loads, logs no console error, sends no request off 127.0.0.1 (all are blocked and
counted), MathJax has typeset every formula, axe-core finds no serious or critical
accessibility violation, and a first visit transfers at most 2,000 KB gzipped (deterministic,
so asserted). Every explorable: its sliders, moved by key and by mouse, change the shown frame,
with no kernel and no network. The run saves a screenshot per page in _build/screenshots/, in
the light and the dark theme, and reports (does not assert) each explorable's key-press-to-paint
latency, which is noisy; `make bench` measures it over repeated runs.

The Chinese edition (``zh/``) is held to all of the above. Search, in both editions, lists the
chapter that teaches a term first; and on a phone (375 px wide) the navigation opens, the page
does not scroll sideways, and an explorable's slider can be dragged.
"""

from __future__ import annotations

import gzip
import statistics
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from conftest import ROOT, toc_files

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "_vendor" / "axe-core" / "axe.min.js"
MAX_FIRST_VISIT_KB = 2000
RUN_AXE = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
  v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, where: v.nodes[0].target.join(" ")}))"""
PAGES = [f"{doc}.html" for doc in toc_files()] + ["index.html", "genindex.html", "search.html"]
PAGES += [f"zh/{page}" for page in PAGES]  # the Chinese edition
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
IMPACTS = ("critical", "serious", "moderate", "minor")
REPORT: list[str] = []  # printed at the end of the run (see conftest.pytest_terminal_summary)

# Resolves with the ms from the next keydown (its timestamp) to the first paint after the
# explorable's frame changes: a rAF callback runs just before the frame is painted, and a
# message posted from it runs just after.
MEASURE_NEXT_SWITCH = """(box) => { window.__switched = new Promise((resolve, reject) => {
  const frame = box.children[1];
  const before = frame.innerHTML;
  let t0 = null;
  document.addEventListener("keydown", (e) => { t0 = e.timeStamp; }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (frame.innerHTML === before || t0 === null) return;
    obs.disconnect();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now() - t0);
      ch.port2.postMessage(null);
    });
  });
  obs.observe(frame, {childList: true, subtree: true, characterData: true, attributes: true});
  setTimeout(() => { obs.disconnect(); reject(new Error("frame did not change within 5 s")); }, 5000);
}); }"""


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Visit:
    """One first visit to one page in a fresh browser context, with everything recorded."""

    def __init__(self, browser: object, base: str, path: str, device: dict | None = None) -> None:
        self.host = urlparse(base).netloc
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.responses: list[object] = []
        self.context = browser.new_context(**(device or {"viewport": {"width": 1280, "height": 900}}))
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("response", self._response)
        self.page.goto(f"{base}/{path}", wait_until="networkidle")
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page.wait_for_load_state("networkidle")

    def _response(self, response: object) -> None:
        self.responses.append(response)
        if response.status >= 400:  # the console says only "404"; say which file
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def _route(self, route: object) -> None:
        if urlparse(route.request.url).netloc == self.host:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def gzipped_bytes(self) -> int:
        """What the page cost over the wire on this first visit, every response gzipped."""
        total = 0
        for r in self.responses:
            try:
                total += len(gzip.compress(r.body(), compresslevel=6))
            except Exception:  # redirects and aborted requests have no body
                pass
        return total


@pytest.fixture
def visit(browser: object, server: str) -> Iterator[object]:
    opened: list[Visit] = []

    def open_page(path: str, device: dict | None = None) -> Visit:
        opened.append(Visit(browser, server, path, device))
        return opened[-1]

    yield open_page
    for v in opened:
        v.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_cleanly_with_typeset_math(visit, path: str) -> None:
    v = visit(path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / path.replace("/", "__").replace(".html", ".png")
    v.page.screenshot(path=str(shot), full_page=True)
    kb = v.gzipped_bytes() / 1024
    REPORT.append(f"{path:32s} first visit {kb:8.0f} KB gzipped")
    assert kb <= MAX_FIRST_VISIT_KB, f"{path}: {kb:.0f} KB on a first visit (at most {MAX_FIRST_VISIT_KB})"

    assert v.blocked == [], f"requests left 127.0.0.1: {v.blocked[:5]}"
    assert v.errors == []
    math = v.page.evaluate(
        """() => [...document.querySelectorAll('.math')].map(
              m => m.querySelector('mjx-container') !== null && m.querySelector('mjx-merror') === null)"""
    )
    assert all(math), f"{math.count(False)} of {len(math)} formulas not typeset"
    assert v.page.title() and v.page.locator("main, article").count() > 0
    # one icon font: widgets-setup.js keeps the widget bundle's Font Awesome 5 (150 KB) unused
    second_font = [r.url for r in v.responses if "html-manager/dist" in r.url and ".woff" in r.url]
    assert second_font == [], f"the widget bundle's icon font was fetched: {second_font}"

    v.page.add_script_tag(path=str(AXE))
    violations = v.page.evaluate(RUN_AXE)
    count = {level: sum(x["nodes"] for x in violations if x["impact"] == level) for level in IMPACTS}
    REPORT.append(f"{path:32s} axe-core: " + ", ".join(f"{n} {level}" for level, n in count.items()))
    grave = [x for x in violations if x["impact"] in ("serious", "critical")]
    assert grave == [], f"serious or critical accessibility violations: {grave}"

    # the dark theme: figures must stay legible (look at the screenshot)
    v.page.evaluate("document.documentElement.dataset.theme = 'dark'")
    v.page.screenshot(path=str(shot.with_name(shot.stem + "--dark.png")), full_page=True)


def drag_a_third(page: object, handle: object, slider: object) -> None:
    """Drag a slider's handle with the mouse a third of the slider's width (back, from the end),
    and wait until its value has moved."""
    value = handle.get_attribute("aria-valuenow")
    step = -1 if value == handle.get_attribute("aria-valuemax") else 1
    hb, track = handle.bounding_box(), slider.bounding_box()
    x, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + step * track["width"] / 3, y, steps=8)
    page.mouse.up()
    playwright.expect(handle).not_to_have_attribute("aria-valuenow", value)  # retries until moved


def explorable_pages() -> list[str]:
    """Pages of chapters that call reidlab.explore (known from the sources, before the build)."""
    pages = [f"{doc}.html" for doc in toc_files() if "explorable(" in (ROOT / f"{doc}.md").read_text()]
    return pages + [f"zh/{page}" for page in pages]


@pytest.mark.parametrize("path", explorable_pages())
def test_explorables_respond_to_keyboard_and_drag(visit, path: str) -> None:
    v = visit(path)
    boxes = v.page.locator(".reidlab-explorable")
    boxes.first.wait_for(timeout=15_000)
    assert boxes.count() >= 1
    for i in range(boxes.count()):
        box = boxes.nth(i)
        box.scroll_into_view_if_needed()
        frame = box.locator(":scope > :nth-child(2)")
        handles = box.locator(".noUi-handle")
        assert handles.count() >= 1, "explorable without a slider"
        latencies = []
        for h in range(handles.count()):
            handle = handles.nth(h)
            for _ in range(10):  # keyboard: each press shows a different frame
                at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
                before = frame.inner_html()
                box.evaluate(MEASURE_NEXT_SWITCH)  # parks a promise on window (not awaited here)
                handle.press("ArrowLeft" if at_end else "ArrowRight")
                latencies.append(v.page.evaluate("window.__switched"))
                assert frame.inner_html() != before
            before = frame.inner_html()
            drag_a_third(v.page, handle, box.locator(".noUi-target").nth(h))
            assert frame.inner_html() != before, "drag did not change the frame"
        box.screenshot(path=str(SHOTS / f"{path.replace('/', '__')[:-5]}--explorable{i}.png"))
        REPORT.append(
            f"{path:32s} explorable {i}: key press to paint, median {statistics.median(latencies):5.1f} ms, "
            f"max {max(latencies):5.1f} ms over {len(latencies)} presses (target: median within 17 ms)"
        )
        assert v.errors == []
        assert v.blocked == []


@pytest.mark.parametrize(
    ("edition", "query", "first"),
    [
        ("", "triplet loss", "chapters/triplets.html"),
        ("", "optical flow", "chapters/video.html"),
        ("", "mutual information", "chapters/infogan.html"),
        ("", "re-ranking", "chapters/baseline.html"),
        ("zh/", "三元组损失", "chapters/triplets.html"),
        ("zh/", "行人重识别", "chapters/intro.html"),
        ("zh/", "互信息", "chapters/infogan.html"),
    ],
)
def test_search_lists_the_chapter_that_teaches_a_term_first(
    visit, edition: str, query: str, first: str
) -> None:
    v = visit(f"{edition}search.html?q={quote(query)}")
    results = v.page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15_000)
    hrefs = [
        h.split("?")[0].split("#")[0]
        for h in results.evaluate_all("(as) => as.map(a => a.getAttribute('href'))")
    ]
    REPORT.append(
        f"search {edition or 'en/'}{query!r}: " + ", ".join(h.rsplit("/", 1)[-1] for h in hrefs[:4])
    )
    assert hrefs[0] == first, f"{query!r}: first result {hrefs[0]}, then {hrefs[1:4]}"
    assert v.errors == [] and v.blocked == []


@pytest.mark.parametrize("path", ["chapters/video.html", "zh/chapters/video.html"])
def test_a_phone_opens_the_navigation_scrolls_only_down_and_drags_a_slider(visit, path: str) -> None:
    v = visit(path, PHONE)
    page = v.page
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide on a 375 px phone: it scrolls sideways"
    # on a narrow screen the theme moves the navigation into a dialog that the toggle opens
    navigation = page.locator("#pst-primary-sidebar-modal")
    assert not navigation.is_visible()
    page.locator("button.primary-toggle").first.click()
    playwright.expect(navigation).to_be_visible()
    playwright.expect(navigation.locator("a[href*='triplets']").first).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / f"phone--{path.replace('/', '__')[:-5]}--navigation.png"))
    page.keyboard.press("Escape")
    page.reload(wait_until="networkidle")

    box = page.locator(".reidlab-explorable").first
    box.wait_for(timeout=15_000)
    box.scroll_into_view_if_needed()
    slider = box.locator(".noUi-target").first
    track = slider.bounding_box()
    assert track["x"] >= 0 and track["x"] + track["width"] <= 375, "the slider does not fit the screen"
    drag_a_third(page, box.locator(".noUi-handle").first, slider)
    box.screenshot(path=str(SHOTS / f"phone--{path.replace('/', '__')[:-5]}--explorable.png"))
    assert v.errors == [] and v.blocked == []
