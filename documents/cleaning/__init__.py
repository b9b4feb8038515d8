"""Turning PDF-extracted text into clean paragraphs."""
from documents.cleaning.line_repairs import fix_font_chars
from documents.cleaning.pdf_text_cleaner import clean, line_at

__all__ = ["clean", "fix_font_chars", "line_at"]
