"""HTML pages via BeautifulSoup on lxml: the main text, headings h1-h6 as structure, tables as rows.

Why BeautifulSoup with the lxml parser: lxml (BSD) is a fast, forgiving C parser for the broken
markup of real CMS pages and is already required by python-docx; BeautifulSoup (MIT) gives a
simple tree to prune and walk. Page chrome is dropped before walking: script, style, nav, aside,
forms' controls, ARIA navigation/banner/contentinfo, and header/footer unless they sit inside an
<article> or <main> (where a header holds the article's own title). When the page marks its
content with <main> (or a single <article>) only that is read. Data tables become one line per
row; layout tables (one column, or cells holding headings, lists or long text) are read as blocks.

Encoding: a BOM wins, then the page's own <meta charset> (GB2312/GBK read as GB18030, their
superset), then the text decoder's UTF-8 / GB18030 detection.

Caps (limits.py): before BeautifulSoup builds its tree (1-2 KB a tag), lxml's streaming parser counts the
elements and the nesting depth, and a page beyond either is refused as `DocumentTooLarge` / `DocumentTooDeep`;
so the recursive walk below never meets more than MAX_HTML_DEPTH levels. A table's own rows are found without
searching the tables nested in it (nested tables once cost 68 s for 335 KB).
"""
from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from lxml import etree

from documents.errors import DocumentTooDeep, DocumentTooLarge
from documents.loaders import file_types
from documents.loaders.base import DocumentLoader
from documents.loaders.inline_text import collapse_whitespace
from documents.loaders.limits import MAX_HTML_DEPTH, MAX_HTML_ELEMENTS
from documents.loaders.text_builder import TextBuilder
from documents.loaders.text_loader import GB_FAMILY, decode_bytes, plausible
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_DROP = ["script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed", "nav",
         "aside", "button", "select", "textarea", "input", "head", "map"]
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# A table whose cells hold headings, lists, nested tables or long text lays out the page (older
# government sites put whole articles in a <td>); only a table of short cells holds data.
_LAYOUT_CELL_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "article", "section"]
LAYOUT_CELL_CHARS = 200
_BLOCKS = frozenset({
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "html", "li", "main", "ol",
    "p", "section", "summary", "ul", "br", "table", "tbody", "thead", "tfoot", "tr", "td", "th",
})


def decode_html(name: str, raw: bytes) -> tuple[str, str]:
    """(text, encoding) of an HTML page, trusting its declared charset when that decodes cleanly."""
    if not raw.startswith(_BOMS):
        m = _META_CHARSET.search(raw[:4096])
        if m:
            declared = m.group(1).decode("ascii").lower().replace("-", "_")
            codec = "gb18030" if declared in GB_FAMILY or declared in ("x_gbk", "gb_2312") else declared
            try:
                text = raw.decode(codec)
                if plausible(text):
                    return text, codec
            except (LookupError, UnicodeDecodeError):
                pass
            logger.info("%s: declared charset %s does not decode the page; detecting", name, declared)
    return decode_bytes(raw, name)


_FEED_CHARS = 1 << 16
_START_TAG = re.compile(r"<[A-Za-z]")


def check_markup(name: str, text: str, max_depth: int = MAX_HTML_DEPTH,
                 max_elements: int = MAX_HTML_ELEMENTS) -> None:
    """Refuse markup nested deeper or holding more elements than real pages, counted by lxml's streaming HTML
    parser (the one BeautifulSoup's "lxml" builder drives, so it sees the same tree) with each finished element
    dropped: memory stays flat whatever the page holds."""
    if len(_START_TAG.findall(text)) > max_elements:  # an upper bound (comments count too), counted in C
        raise DocumentTooLarge(f"{name}: more than {max_elements:,} HTML elements; real pages hold far fewer",
                               "html_elements")
    parser = etree.HTMLPullParser(events=("start", "end"))
    depth = elements = 0
    for start in range(0, len(text) + 1, _FEED_CHARS):
        chunk = text[start:start + _FEED_CHARS]
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                elements += 1
                if depth > max_depth:
                    raise DocumentTooDeep(f"{name}: markup nested more than {max_depth} levels deep; real pages "
                                          "nest a few dozen", "html_depth")
                if elements > max_elements:
                    raise DocumentTooLarge(f"{name}: more than {max_elements:,} HTML elements; real pages hold "
                                           "far fewer", "html_elements")
            else:
                depth -= 1
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]


def _own_rows(table: Tag) -> list[Tag]:
    """The table's rows, not those of tables nested in its cells: a walk that does not enter nested tables, so
    each element is visited once however deeply tables nest."""
    rows: list[Tag] = []
    stack = [child for child in reversed(table.contents) if isinstance(child, Tag)]
    while stack:
        node = stack.pop()
        if node.name == "tr":
            rows.append(node)
        elif node.name != "table":
            stack.extend(child for child in reversed(node.contents) if isinstance(child, Tag))
    return rows


def _cells(tr: Tag) -> list[Tag]:
    return [child for child in tr.contents if isinstance(child, Tag) and child.name in ("td", "th")]


def _block_text(tag: Tag) -> str:
    """Text of an element as one line (inline elements' boundaries are soft breaks)."""
    return collapse_whitespace(tag.get_text("\n"))


def _is_layout_table(table: Tag) -> bool:
    rows = _own_rows(table)
    cells = [cell for tr in rows for cell in _cells(tr)]
    if all(len(_cells(tr)) <= 1 for tr in rows):
        return True
    return any(cell.find(_LAYOUT_CELL_TAGS) is not None or len(_block_text(cell)) > LAYOUT_CELL_CHARS
               for cell in cells)


_DROP_SET = frozenset(_DROP)
_CONTENT = frozenset({"article", "main"})


def _is_chrome(tag: Tag, in_content: bool) -> bool:
    """Page furniture: a header or footer outside <article>/<main>, navigation roles, hidden elements."""
    if tag.name in ("header", "footer") and not in_content:
        return True
    if str(tag.get("role", "")).lower() in _CHROME_ROLES:
        return True
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


def _prune(soup: BeautifulSoup) -> None:
    """Drop scripts, styles, navigation and other chrome in one walk from the root, never entering what was
    dropped. (BeautifulSoup's `tag.decomposed` on a live tag searches its whole subtree for a child named
    "_decomposed": checking it per tag was quadratic, 20 s for 330 KB of nested tables.)"""
    stack: list[tuple[Tag, bool]] = [(soup, False)]
    while stack:
        node, in_content = stack.pop()
        for child in list(node.contents):
            if not isinstance(child, Tag):
                continue
            if child.name in _DROP_SET or _is_chrome(child, in_content):
                child.decompose()
            else:
                stack.append((child, in_content or child.name in _CONTENT))


def _content_root(soup: BeautifulSoup) -> Tag:
    main = soup.find("main")
    if main is not None:
        return main
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


class _Walker:
    """Depth-first walk that writes one line per block, heading or table row."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []

    def flush(self) -> None:
        self.builder.add_line(collapse_whitespace("".join(self.inline)))
        self.inline = []

    def table(self, table: Tag) -> None:
        for caption in table.find_all("caption", recursive=False):
            self.builder.add_line(_block_text(caption))
        for tr in _own_rows(table):  # a nested table's rows: their text is already in the outer cell
            cells = [_block_text(cell) for cell in _cells(tr)]
            if any(cells):
                self.builder.add_line(CELL_SEPARATOR.join(cells))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                    self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HEADINGS:
                self.flush()
                self.builder.add_heading(_block_text(child), _HEADINGS[name])
            elif name == "table" and not _is_layout_table(child):
                self.flush()
                self.table(child)
            elif name == "pre":
                self.flush()
                for line in child.get_text().split("\n"):
                    self.builder.add_line(line)
            elif name in _BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


class HtmlLoader(DocumentLoader):
    """Saved web pages (.html, .htm)."""

    extensions = file_types.HTML
    format = "html"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        text, encoding = decode_html(name, raw)
        check_markup(name, text)
        soup = BeautifulSoup(text, "lxml")
        _prune(soup)
        builder = TextBuilder()
        walker = _Walker(builder)
        walker.walk(_content_root(soup))
        walker.flush()
        return builder.build(name, raw, self.format, encoding)


def fragment_lines(html: str, name: str = "<html block>") -> list[str]:
    """Text lines of an HTML fragment (raw HTML blocks inside Markdown), chrome pruned, under the page caps."""
    check_markup(name, html)
    soup = BeautifulSoup(html, "lxml")
    _prune(soup)
    builder = TextBuilder()
    walker = _Walker(builder)
    walker.walk(soup)
    walker.flush()
    return [line for line in builder.lines if line.strip()]
