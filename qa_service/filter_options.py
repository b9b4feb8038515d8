"""`qa search` / `qa ask` filter flags: the same filters as the API's `filters` object, checked by the same
contract model (qa_service/api/contract/filters.py), so a filter the API refuses is refused here (exit 2)."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the commands that filter (numpy, the document models), not by `qa --help`
    from qa_service.search_filter import SearchFilter


class FilterRefused(ValueError):
    """A flag value the API would refuse with 422 invalid_filter; the message is the API's."""


def add_filter_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("filters", "answer only from passages that pass every given filter")
    group.add_argument("--doc", action="append", dest="filter_documents", metavar="ID_OR_NAME",
                       help="a document id or file name (repeat for several)")
    group.add_argument("--format", action="append", dest="filter_formats", metavar="FORMAT",
                       help="text|txt, markdown|md, html|htm, docx, pdf, image (repeat for several)")
    group.add_argument("--title-prefix", dest="filter_title_prefix", help="the document title starts with it")
    group.add_argument("--section-prefix", dest="filter_section_prefix",
                       help="the section path (headings joined by ' > ') starts with it")
    group.add_argument("--date-from", dest="filter_date_from", metavar="YYYY-MM-DD",
                       help="the document's date (stated in its text, else added) is on or after this day")
    group.add_argument("--date-to", dest="filter_date_to", metavar="YYYY-MM-DD", help="... on or before this day")


def filters_from(args: argparse.Namespace) -> SearchFilter | None:
    """The filter the flags give (None without any), checked as the API checks it."""
    given = {key: value for key in ("documents", "formats", "title_prefix", "section_prefix", "date_from", "date_to")
             if (value := getattr(args, f"filter_{key}", None)) is not None}
    if not given:
        return None
    from pydantic import TypeAdapter, ValidationError  # here: the contract models import Flask (0.5 s)

    from qa_service.api.contract.filters import CheckedFilters

    try:
        return TypeAdapter(CheckedFilters).validate_python(given).search_filter()
    except ValidationError as exc:
        raise FilterRefused(exc.errors()[0]["msg"]) from None
