"""The course site (make docs): built once, then opened page by page in headless Chromium.

The site is built as ``make docs`` builds it (``sphinx -E -W`` with docs/conf.py over notes/,
so a warning such as a broken cross-reference fails the build) into a temporary directory,
served on 127.0.0.1 and opened in Debian's chromium through chromedriver and Selenium.  Every
page must render (a title, a heading, no error in the console, nothing loaded from another
host), every layout drawing must be a visible SVG with nodes, every link to a page of the
site must reach it (and its anchor), the search box must find a word, and an exercise's
answer must stay hidden until its button is clicked.

Screenshots are saved under build/docs/screenshots/ of the checkout: one per page
(``<page>.png``, the top of the page), the first drawing of each page that has one
(``<page>.layout.png``), an exercise before and after the click (``exercise-closed.png``,
``exercise-open.png``) and the search results (``search.png``).

What it needs (the docs extra, which make dev installs; Graphviz's dot; Debian's chromium and
chromium-driver, which .ci/run installs): a missing one skips the tests, or fails them under
PREFIXLAB_REQUIRE_ORACLES=1.  The whole module takes about half a minute.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from conftest import REPO, require_oracle

NOTES = REPO / "notes"
SCREENSHOTS = REPO / "build" / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install chromium chromium-driver"
BLOCK = re.compile(r"^```(prefixlab-example|prefixlab-exercise)[ \t]*\n", re.M)
CHAPTER = re.compile(r"\d\d-.*\.md")
WITHOUT_EXAMPLE: frozenset[str] = frozenset()
"""Chapters that may still have no example of their own, so no drawing: every other chapter
must have one (take a chapter off when it gains one)."""
TIMEOUT = 20.0


# -- what the tests need ------------------------------------------------------------------------
def _need_tools() -> None:
    have = {name: importlib.util.find_spec(name) is not None
            for name in ("sphinx", "myst_parser", "selenium")}
    require_oracle(have["sphinx"] and have["myst_parser"],
                   "building the course site needs the docs extra (sphinx, myst-parser): "
                   "make dev")
    require_oracle(shutil.which("dot") is not None,
                   "the course's drawings need Graphviz's dot: apt-get install graphviz")


def _need_browser() -> None:
    require_oracle(importlib.util.find_spec("selenium") is not None,
                   "the site's browser test needs selenium (the docs extra): make dev")
    require_oracle(Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file(),
                   f"the site's browser test needs Debian's chromium and its driver "
                   f"({CHROMIUM}, {CHROMEDRIVER}): {INSTALL}")


def build_site(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``make docs``'s build of ``source`` into ``out``."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
         "-c", str(REPO / "docs"), str(source), str(out)],
        capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_tools()
    out = tmp_path_factory.mktemp("site") / "html"
    done = build_site(NOTES, out)
    assert done.returncode == 0, f"the site's build failed (-W):\n{done.stderr}{done.stdout}"
    return out


@pytest.fixture(scope="module")
def exercise_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-page site holding an exercise in each form (the course may have none yet) and a
    ``{prefixlab-layout}`` drawing."""
    _need_tools()
    source = tmp_path_factory.mktemp("exercise-notes")
    body = ('versions = "3.11+"\n[layout]\n"opt/py/bin/python{X.Y}" = "binary"\n'
            '"opt/py/lib/python{X.Y}" = "stdlib"\n[run]\n'
            'program = "{ROOT}/opt/py/bin/python{X.Y}"\nargs = ["-S", "-c", "pass"]\n'
            'cwd = "{ROOT}"\n[expect]\nprefix = "{ROOT}/opt/py"\n')
    (source / "README.md").write_text(
        "# Exercises\n\nWhat is the prefix?\n\n```prefixlab-exercise\n" + body + "```\n\n"
        "The same, marked in the block:\n\n```prefixlab-example\nexercise = true\n" + body
        + "```\n\nThe first one's layout, drawn again:\n\n```{prefixlab-layout} README#0\n```\n",
        encoding="utf-8")
    out = tmp_path_factory.mktemp("exercise-site") / "html"
    done = build_site(source, out)
    assert done.returncode == 0, f"the exercise page's build failed:\n{done.stderr}"
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _server(root: str) -> str:
    handler = functools.partial(_Quiet, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    # --no-sandbox: CI runs as root; the network flags keep chromium from calling home.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-sync",
                 "--disable-component-update", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


# -- one visit of every page ----------------------------------------------------------------
@dataclass
class Page:
    name: str
    """Its path in the site ('03-venvs.html', 'maintainers/README.html')."""
    title: str = ""
    headings: int = 0
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    """Resources loaded from anywhere but the site."""
    drawings: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    search_box: bool = False
    overflow: int = 0
    """How much wider than the window the page is (wide blocks must scroll on their own)."""


_PAGE_FACTS = """
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
return {
  title: document.title,
  headings: document.querySelectorAll('div.body h1').length,
  foreign: performance.getEntriesByType('resource').map(e => e.name)
    .filter(n => !n.startsWith(location.origin)),
  drawings: Array.from(document.querySelectorAll('figure.prefixlab-layout')).map(f => {
    const svg = f.querySelector('svg');
    return svg === null ? {svg: false} : {
      svg: true, size: box(svg), nodes: svg.querySelectorAll('g.node').length,
      visible: getComputedStyle(svg).visibility !== 'hidden'
               && getComputedStyle(svg).display !== 'none',
      drawn: Array.from(svg.querySelectorAll('g.node')).filter(
               n => box(n)[0] > 0 && box(n)[1] > 0).length};
  }),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  search: document.querySelector('#searchbox input[name="q"], form.search input[name="q"]')
          !== null,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
};
"""


def _shot_name(page: str) -> str:
    return page.removesuffix(".html").replace("/", "__")


@pytest.fixture(scope="module")
def pages(site: Path, browser: Any) -> dict[str, Page]:
    """Every HTML page of the site, opened once: what the tests below look at."""
    from selenium.webdriver.common.by import By

    base = _server(str(site))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, Page] = {}
    for path in sorted(site.rglob("*.html")):
        name = path.relative_to(site).as_posix()
        if name.startswith("_"):
            continue
        browser.get(base + name)
        # Exercises' answers (drawings among them) are measured open; closed, they are
        # test_an_exercise_answer_shows_on_click's business.
        browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        facts = browser.execute_script(_PAGE_FACTS)
        page = Page(name, facts["title"], facts["headings"], foreign=facts["foreign"],
                    drawings=facts["drawings"], links=facts["links"], ids=set(facts["ids"]),
                    search_box=facts["search"], overflow=facts["overflow"])
        page.errors = [entry["message"] for entry in browser.get_log("browser")
                       if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]]
        browser.save_screenshot(str(SCREENSHOTS / f"{_shot_name(name)}.png"))
        figures = browser.find_elements(By.CSS_SELECTOR, "figure.prefixlab-layout")
        if figures:
            browser.execute_script("arguments[0].scrollIntoView()", figures[0])
            figures[0].screenshot(str(SCREENSHOTS / f"{_shot_name(name)}.layout.png"))
        found[name] = page
    return found


# -- the tests --------------------------------------------------------------------------------
def test_the_site_has_the_course_and_the_reference(site: Path) -> None:
    names = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    chapters = {p.stem + ".html" for p in NOTES.glob("*.md") if CHAPTER.fullmatch(p.name)}
    assert len(chapters) >= 8
    assert chapters | {"index.html", "README.html", "reference.html", "search.html",
                       "maintainers/cpython-3.14.html"} <= names
    reference = (site / "reference.html").read_text(encoding="utf-8")
    assert "prefixlab build venv" in reference and "Exit codes" in reference
    table = (site / "12-version-differences.html").read_text(encoding="utf-8")
    assert table.count("<tr") >= 10, "the generated version table is a table on its page"


def test_maintainers_pages_are_outside_the_course_toc(site: Path) -> None:
    nav = re.findall(r'<li class="toctree-l1"><a class="reference internal" href="([^"]+)"',
                     (site / "01-where-python-lives.html").read_text(encoding="utf-8"))
    assert len(nav) >= 9 and not any("maintainers" in href for href in nav), nav
    home = (site / "README.html").read_text(encoding="utf-8")
    assert "maintainers/cpython-3.14.html" in home, "the home page links the maintainers' notes"


def test_every_page_renders(pages: dict[str, Page]) -> None:
    assert len(pages) >= 12
    for page in pages.values():
        assert page.title.strip() and "404" not in page.title, page.name
        if page.name not in ("genindex.html", "index.html"):
            assert page.headings >= 1, f"{page.name}: no heading in the page's body"
        assert not page.errors, f"{page.name}: console errors: {page.errors}"
        assert not page.foreign, f"{page.name}: loaded from elsewhere: {page.foreign}"
        assert page.overflow <= 1, f"{page.name}: {page.overflow}px wider than the window"


def test_every_drawing_is_visible(pages: dict[str, Page]) -> None:
    drawings = [(page.name, d) for page in pages.values() for d in page.drawings]
    blocks = sum(len(BLOCK.findall(p.read_text(encoding="utf-8"))) for p in NOTES.glob("*.md"))
    assert len(drawings) >= blocks >= 8, "each example of the notes is drawn"
    for name, drawing in drawings:
        assert drawing["svg"], f"{name}: a layout figure without an SVG"
        width, height = drawing["size"]
        assert width > 50 and height > 50, f"{name}: an SVG of {width}x{height}"
        assert drawing["visible"], f"{name}: an SVG hidden by its style"
        assert drawing["nodes"] >= 2 and drawing["drawn"] == drawing["nodes"], \
            f"{name}: {drawing['drawn']} of {drawing['nodes']} nodes drawn"


def test_every_chapter_has_a_drawing(pages: dict[str, Page]) -> None:
    chapters = {p.stem for p in NOTES.glob("*.md") if CHAPTER.fullmatch(p.name)}
    without = {stem for stem in chapters if not pages[f"{stem}.html"].drawings}
    assert without <= WITHOUT_EXAMPLE, f"chapters without a layout drawing: {sorted(without)}"


def test_no_broken_internal_link(site: Path, pages: dict[str, Page]) -> None:
    base = _server(str(site))
    broken = []
    for page in pages.values():
        for link in page.links:
            if not link.startswith(base):
                continue
            target, anchor = urldefrag(link)
            name = urlsplit(target).path.lstrip("/") or "index.html"
            if name.endswith("/"):
                name += "index.html"
            if not (site / name).is_file():
                broken.append(f"{page.name} -> {link}: no such page")
            elif anchor and name in pages and anchor not in pages[name].ids:
                broken.append(f"{page.name} -> {link}: no such anchor")
    assert not broken, "\n".join(broken)


def test_search_finds_a_word(site: Path, browser: Any, pages: dict[str, Page]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    assert all(p.search_box for n, p in pages.items() if n not in ("search.html", "index.html"))
    browser.get(_server(str(site)) + "03-venvs.html")
    box = browser.find_element(By.CSS_SELECTOR, '#searchbox input[name="q"]')
    box.send_keys("pyvenv.cfg", Keys.ENTER)
    # Sphinx's searchtools.js (sphinx/themes/basic/static, 9.0) adds the results one by one,
    # 5 ms apart, and only then (_finishSearch) gives the p.search-summary it made empty its
    # text: "Search finished, found N pages ..." or "Your search did not match ...".  Read
    # the results after that, not when the first one appears.
    summary = WebDriverWait(browser, TIMEOUT).until(lambda b: next(
        (p.text for p in b.find_elements(By.CSS_SELECTOR, "#search-results p.search-summary")
         if p.text.strip()), None))
    hits = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
    assert summary.startswith("Search finished"), summary
    browser.save_screenshot(str(SCREENSHOTS / "search.png"))
    assert any("03-venvs" in (a.get_attribute("href") or "") for a in hits), \
        [a.get_attribute("href") for a in hits]


def _check_exercises(browser: Any, url: str, shots: bool) -> int:
    from selenium.webdriver.common.by import By

    browser.get(url)
    answers = browser.find_elements(By.CSS_SELECTOR, "details.prefixlab-answer")
    for n, details in enumerate(answers):
        hidden = details.find_elements(By.CSS_SELECTOR, "div.highlight, figure")
        assert hidden and not any(e.is_displayed() for e in hidden), \
            f"{url}: exercise {n}'s answer shows before the click"
        assert details.get_attribute("open") is None
        summary = details.find_element(By.TAG_NAME, "summary")
        browser.execute_script("arguments[0].scrollIntoView()", details)
        if shots and n == 0:
            details.find_element(By.XPATH, "..").screenshot(
                str(SCREENSHOTS / "exercise-closed.png"))
        summary.click()
        assert details.get_attribute("open") is not None
        assert all(e.is_displayed() for e in hidden), f"{url}: exercise {n}: nothing shown"
        assert "[expect]" in details.text, f"{url}: exercise {n}: the answer is not shown"
        if shots and n == 0:
            details.find_element(By.XPATH, "..").screenshot(str(SCREENSHOTS / "exercise-open.png"))
    return len(answers)


def test_an_exercise_answer_shows_on_click(exercise_site: Path, browser: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = _server(str(exercise_site)) + "README.html"
    browser.set_window_size(1280, 2400)  # an exercise's box, open, in one screenshot
    try:
        assert _check_exercises(browser, url, shots=True) == 2
    finally:
        browser.set_window_size(1280, 900)
    nodes = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.prefixlab-layout svg'))"
        ".map(svg => svg.querySelectorAll('g.node').length);")
    assert len(nodes) == 5 and min(nodes) >= 2, \
        "two exercises (their layout, their answer's) and a {prefixlab-layout}"


def test_the_course_exercises_show_on_click(site: Path, browser: Any,
                                            pages: dict[str, Page]) -> None:
    base = _server(str(site))
    for name in pages:
        if 'class="prefixlab-answer"' in (site / name).read_text(encoding="utf-8"):
            _check_exercises(browser, base + name, shots=False)
