"""Image files and page images, opened under a pixel budget: the size is read from the header and checked before
a single pixel is decoded, so a decompression bomb (a 65-byte PNG declaring 100,000 x 100,000 pixels: 10 GB once
decoded) is refused at once, by name. The first check is Pillow's own guard in `Image.open`, which reads only the
header, set to the budget through `Image.MAX_IMAGE_PIXELS`; each frame of a TIFF is checked again before it is
decoded. Pages are reduced to the size the recogniser works at (options.RENDER_LONG_SIDE) while decoding
where the format allows (JPEG draft mode), else right after.
"""
from __future__ import annotations

import io
import warnings
from typing import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from documents.errors import CorruptDocument, DocumentTooLarge
from documents.ocr.options import RENDER_LONG_SIDE

# Formats an image file may be in, whatever its extension says: what scanners, phones and fax software write.
IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")


def check_pixels(name: str, what: str, width: int, height: int, max_pixels: int) -> None:
    """Refuse an image of more than `max_pixels` before it is decoded."""
    if width <= 0 or height <= 0:
        raise CorruptDocument(f"{name}: {what} declares an empty size ({width} x {height})")
    if width * height > max_pixels:
        raise DocumentTooLarge(
            f"{name}: {what} declares {width:,} x {height:,} pixels ({width * height / 1e6:,.0f} million); the limit "
            f"is {max_pixels / 1e6:,.0f} million (QA_OCR_MAX_PIXELS): a decompression bomb, or a scan at far more "
            "than 600 dpi", "ocr_pixels")


def _bomb(name: str, max_pixels: int, exc: Exception) -> DocumentTooLarge:
    size = str(exc).split("(", 1)[-1].split(" pixels", 1)[0]  # Pillow: "Image size (N pixels) exceeds limit ..."
    size = f"{int(size):,}" if size.isdigit() else "more"
    return DocumentTooLarge(f"{name}: the image declares {size} pixels, more than the {max_pixels:,} of "
                            "QA_OCR_MAX_PIXELS: a decompression bomb, or a scan at far more than 600 dpi; refused "
                            "before decoding", "ocr_pixels")


def reduced(image: Image.Image) -> Image.Image:
    """The page at the recogniser's working size, upright (EXIF orientation of phone photos applied)."""
    image = ImageOps.exif_transpose(image) or image
    longest = max(image.size)
    if longest > RENDER_LONG_SIDE:
        scale = RENDER_LONG_SIDE / longest
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    return image.convert("RGB") if image.mode not in ("RGB", "L") else image


def open_image(name: str, raw: bytes, max_pixels: int, max_pages: int) -> tuple[Image.Image, int]:
    """The image, header read and checked (every frame of a TIFF), and its number of frames (pages)."""
    # Pillow raises DecompressionBombError beyond twice MAX_IMAGE_PIXELS (and only warns from once): set so that
    # it raises at the budget, in Image.open, which reads the header and nothing else.
    Image.MAX_IMAGE_PIXELS = max_pixels // 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise _bomb(name, max_pixels, exc) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptDocument(f"{name}: not a readable PNG, JPEG or TIFF image ({exc})") from exc
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames > max_pages:
        raise DocumentTooLarge(f"{name}: {frames:,} pages; OCR reads at most {max_pages:,} per file "
                               "(QA_OCR_MAX_PAGES; split the file)", "ocr_pages")
    return image, frames


def pages(name: str, image: Image.Image, frames: int, max_pixels: int) -> Iterator[Image.Image]:
    """Each frame decoded at the working size; each frame's header is checked before it is decoded."""
    for frame in range(frames):
        try:
            image.seek(frame)
            check_pixels(name, f"page {frame + 1}" if frames > 1 else "the image", *image.size, max_pixels)
            if image.format == "JPEG":
                image.draft("RGB", (RENDER_LONG_SIDE, RENDER_LONG_SIDE))  # decode at 1/2, 1/4 or 1/8 where enough
            image.load()
            yield reduced(image)
        except (DocumentTooLarge, CorruptDocument, MemoryError):
            raise
        except Image.DecompressionBombError as exc:
            raise _bomb(name, max_pixels, exc) from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise CorruptDocument(f"{name}: page {frame + 1} of the image cannot be decoded ({exc})") from exc
