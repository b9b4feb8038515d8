"""A package's names imported on first use (PEP 562), so importing one light submodule (documents.models,
documents.loaders.file_types) does not import the heavy ones beside it (LangChain's splitters, the loaders' PDF,
DOCX and HTML libraries)."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(namespace: dict[str, Any], exports: Mapping[str, tuple[str, ...]],
                 ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """`__all__`, `__getattr__` and `__dir__` for the package whose globals are `namespace`, exporting the names
    of each module in `exports` (module path -> names). A name is imported on first lookup, then kept."""
    module_of = {name: module for module, names in exports.items() for name in names}
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # the next lookup is an ordinary attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(module_of))

    return sorted(module_of), __getattr__, __dir__
