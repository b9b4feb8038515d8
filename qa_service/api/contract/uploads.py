"""The document upload (POST /v1/documents, multipart/form-data): its form, as published in /openapi.json.

The file's name says how to read it (documents/loaders/ registry), so the contract publishes the names the
service accepts as the pattern of the part's Content-Disposition; the file's bytes must then be a readable
document of that type (corrupt, encrypted, empty or scanned files are refused with 422, naming the file: a
schema cannot say which bytes make a readable PDF).
"""
from __future__ import annotations

from typing import Annotated, Any, Iterable

from qa_service.api.contract.base import Published, RequestModel

FILE_FIELD = "file"


class UploadForm(RequestModel):
    file: Annotated[bytes, Published(of_limits=lambda limits: {"description": (
        f"the document (.txt .md .html .docx .pdf; .png .jpg .jpeg .tif .tiff read by OCR), at most {limits.max_upload_bytes} bytes; its file name "
        "(sanitised) becomes the document name, and a file of the same name replaces it")})]


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in text)


def file_name_pattern(extensions: Iterable[str]) -> str:
    """The Content-Disposition of the file part: a file name ending in an accepted extension (any case)."""
    endings = "|".join(_any_case(e.lstrip(".")) for e in sorted(extensions))
    return rf'filename="[^"]*\.({endings})"'


def upload_encoding(extensions: Iterable[str]) -> dict[str, Any]:
    return {FILE_FIELD: {"headers": {"Content-Disposition": {
        "description": "the file name's extension says how the document is read",
        "schema": {"type": "string", "pattern": file_name_pattern(extensions)},
        "example": f'form-data; name="{FILE_FIELD}"; filename="document.txt"'}}}}
