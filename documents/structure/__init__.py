"""Document structure: headings, their levels and member documents of compilations."""
from documents.structure.heading_detector import detect_headings
from documents.structure.stated_headings import merge_headings, place_stated_headings

__all__ = ["detect_headings", "merge_headings", "place_stated_headings"]
