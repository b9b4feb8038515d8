"""Reading files from disk into `SourceDocument`s."""
from documents.loaders.text_loader import SUPPORTED_EXTENSIONS, decode_bytes, load_file, load_paths

__all__ = ["SUPPORTED_EXTENSIONS", "decode_bytes", "load_file", "load_paths"]
