"""Knowledge bases: named collections of documents, each with its own index and ingestion settings.

    names.py     what a name may be (a safe slug), and the errors of this package
    store.py     the registry on disk: `default` (the index directory) and one folder per other one under the root
    services.py  the objects of one knowledge base (QAService, DocumentService, watcher, background embedder)
    provider.py  loads knowledge bases on demand, one encoder per model shared by all, least recently used unloaded
"""
from qa_service.knowledge_bases.names import (DEFAULT_KB, KnowledgeBaseError, KnowledgeBaseNotFound,
                                              checked_name)
from qa_service.knowledge_bases.provider import KnowledgeBaseProvider
from qa_service.knowledge_bases.services import KnowledgeBaseServices
from qa_service.knowledge_bases.store import KnowledgeBaseRecord, KnowledgeBaseStore

__all__ = ["DEFAULT_KB", "KnowledgeBaseError", "KnowledgeBaseNotFound", "KnowledgeBaseProvider",
           "KnowledgeBaseRecord", "KnowledgeBaseServices", "KnowledgeBaseStore", "checked_name"]
