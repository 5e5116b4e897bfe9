"""Sphinx configuration of the course site: `make docs` builds notes/ into build/docs/html.

The source directory is notes/ itself (``sphinx-build -c docs notes ...``): the chapters are
the Markdown files the tests run, read by MyST.  notes/README.md is the home page; the
chapters (``NN-*.md``), then the other pages of notes/ (among them notes/reference.md, which
includes README's reference part) form its table of contents, added here so that the
Markdown stays plain for readers of the repository.  notes/maintainers/ is outside that
table (orphan pages, reached by link).  Nothing is fetched at build or view time: no
intersphinx, the theme's fonts are the reader's own, Sphinx's search is its local
JavaScript, and the layout drawings are inline SVG made by Graphviz's dot
(prefixlab.impl.render.sphinxext).
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

project = "prefixlab"
author = "the prefixlab authors"
copyright = "the prefixlab authors"
extensions = ["myst_parser", "prefixlab.impl.render.sphinxext"]
root_doc = "README"
source_suffix = {".md": "markdown"}
exclude_patterns: list[str] = []
myst_fence_as_directive = ["prefixlab-example", "prefixlab-exercise"]
myst_heading_anchors = 3
highlight_language = "text"
language = "en"

html_theme = "alabaster"
html_title = "How CPython finds itself"
html_static_path = [str(Path(__file__).resolve().parent / "_static")]
html_css_files = ["prefixlab.css"]
html_sidebars = {"**": ["about.html", "searchbox.html", "navigation.html", "relations.html"]}
html_theme_options = {
    "description": "prefix resolution, by examples that run",
    "font_family": "system-ui, -apple-system, 'DejaVu Sans', sans-serif",
    "head_font_family": "system-ui, -apple-system, 'DejaVu Sans', sans-serif",
    "code_font_family": "'DejaVu Sans Mono', monospace",
    "page_width": "1100px",
    "show_relbars": True,
    "show_powered_by": False,
}
html_show_sphinx = False
html_show_sourcelink = False
html_copy_source = False

CHAPTER = re.compile(r"\d\d-[^/]*\.md")


def chapters(notes: Path) -> list[str]:
    """The course's chapters in order: notes/NN-*.md."""
    return sorted(p.stem for p in notes.glob("*.md") if CHAPTER.fullmatch(p.name))


def appendices(notes: Path) -> list[str]:
    """The other pages of notes/ (the reference, the example format ...), after them."""
    return sorted(p.stem for p in notes.glob("*.md")
                  if not CHAPTER.fullmatch(p.name) and p.stem != root_doc)


def _toc(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == root_doc:
        notes = Path(app.srcdir)
        entries = "\n".join([*chapters(notes), *appendices(notes)])
        source[0] += f"\n\n```{{toctree}}\n:hidden:\n:maxdepth: 2\n\n{entries}\n```\n"
    elif docname.startswith("maintainers/") and not source[0].startswith("---"):
        source[0] = "---\norphan: true\n---\n" + source[0]


def _index(app: Sphinx, exception: Exception | None) -> None:
    """index.html: the home page is README.html (the notes' own name for it)."""
    if exception is None and app.builder.format == "html":
        Path(app.outdir, "index.html").write_text(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta http-equiv="refresh" content="0; url=README.html">'
            "<title>How CPython finds itself</title></head>\n"
            '<body><p><a href="README.html">How CPython finds itself</a></p></body></html>\n',
            encoding="utf-8")


def setup(app: Sphinx) -> None:
    app.connect("source-read", _toc)
    app.connect("build-finished", _index)
