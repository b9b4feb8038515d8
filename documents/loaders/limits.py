"""Caps the loaders apply before and while parsing, so a small hostile file is refused fast and named.

They are the first line of defence; the parsing sandbox (documents/sandbox.py: a child process with a memory
and a wall-clock limit) is the backstop for whatever slips past them. Each cap is set well above what a real
document needs, measured on this machine (2 cores) with documents built from the bundled corpus, whose largest
file (国家科技创新政策文件汇编.txt) holds 780,000 characters:
  - as a PDF typeset at about 700 characters a page: 1,018 pages, 2.5 MB, parsed in 28 s (27 ms a page);
  - as a .docx of 25,000 paragraphs: word/document.xml 3.1 MB holding 165,000 tags ("<"); Word itself writes
    about ten times the markup python-docx does (run properties, fonts, revision ids), so about 1.5 million;
  - as an HTML page of one <p> per line: 25,000 elements, 12 levels deep.
"""
from __future__ import annotations

MiB = 1 << 20

# Any format: characters of extracted text. 13x the largest corpus file; a .txt at the 20 MB upload limit holds
# at most about 10 million. Beyond it the cleaning, chunking and embedding would take hours.
MAX_TEXT_CHARS = 10_000_000

# DOCX (a zip of XML parts). python-docx holds every part in memory and parses the XML ones with lxml, which costs
# about 180 bytes per element: a 147 KB file expanding to 100 MB of empty paragraphs (17 million elements) peaked at
# 3.1 GB. Members: a real .docx has 15-60 (more with many images).
MAX_DOCX_MEMBERS = 2_000
MAX_DOCX_EXPANDED_BYTES = 256 * MiB  # every member, images included
MAX_DOCX_XML_BYTES = 160 * MiB  # the XML parts lxml parses
# Tags ("<") over all XML parts: 2.6x the ~1.5 million of the largest corpus file saved by Word; at most about
# 4 million elements, ~720 MB in lxml, under the sandbox's default memory limit.
MAX_DOCX_XML_TAGS = 4_000_000

# PDF. Pages: twice the largest corpus file typeset (1,018 pages); at the measured 27 ms a page, 2,000 pages parse
# in about 55 s, within the sandbox's default wall-clock limit. A page's content stream holds its text-drawing
# operators: tens of KB for a page of text, a few MB for a detailed vector drawing; a 684 KB PDF of 10 pages of
# 70 MB streams took 101 s and 740 MB. Every decoded stream (contents, fonts' maps, forms) is capped by pypdf's own
# configuration at MAX_PDF_STREAM_BYTES.
MAX_PDF_PAGES = 2_000
MAX_PDF_PAGE_CONTENT_BYTES = 16 * MiB
MAX_PDF_CONTENT_BYTES = 160 * MiB  # all pages' content streams together (they stay cached on the reader)
MAX_PDF_STREAM_BYTES = 32 * MiB

# HTML. Depth: real pages nest 10-40 levels (CMS layouts with nested tables rarely 60); the walk is recursive and
# 1,200 nested <div>s raised RecursionError. 256 is also libxml2's own default depth limit for XML.
MAX_HTML_DEPTH = 256
# Elements: BeautifulSoup costs about 1-2 KB a tag; 8x the 25,000-element page of the largest corpus file.
MAX_HTML_ELEMENTS = 200_000
