"""Document structure: headings, their levels and member documents of compilations."""
from documents.structure.heading_detector import detect_headings

__all__ = ["detect_headings"]
