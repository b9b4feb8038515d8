"""Knowledge bases: named collections of documents, each with its own index and ingestion settings.

    names.py     what a name may be (a safe slug), and the errors of this package
    store.py     the registry on disk: `default` (the index directory) and one folder per other one under the root
    services.py  the objects of one knowledge base (QAService, DocumentService, watcher, background embedder)
    provider.py  loads knowledge bases on demand, one encoder per model shared by all, least recently used unloaded
"""
from __future__ import annotations

import importlib
from typing import Any

from qa_service.knowledge_bases.names import (DEFAULT_KB, KnowledgeBaseError, KnowledgeBaseNotFound,
                                              checked_name)

# The heavy parts are imported on first use (PEP 562), so that importing names.py alone (qa api-key's key
# scopes) does not load the whole service: 2 s on this machine kind.
_LAZY = {"KnowledgeBaseProvider": "provider", "KnowledgeBaseServices": "services",
         "KnowledgeBaseRecord": "store", "KnowledgeBaseStore": "store"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["DEFAULT_KB", "KnowledgeBaseError", "KnowledgeBaseNotFound", "KnowledgeBaseProvider",
           "KnowledgeBaseRecord", "KnowledgeBaseServices", "KnowledgeBaseStore", "checked_name"]
