"""Ingest: files -> chunks -> vectors + BM25 -> a new index version, switched in atomically.

The steps of a folder sync (`qa ingest PATH...`, `IngestionService.sync`) and where each lives:

1. discover   documents/loaders/discovery.py   the supported files under the given paths (also `load_paths`)
2. read       ingestion/sync_run.py            every file's bytes and sha256 (size checked first)
3. plan       ingestion/plan.py                pure: the index as it is + the files as found -> what each
                                               document is made from; added / updated / removed / unchanged
4. process    ingestion/preparing.py           parse in the sandbox, clean and chunk (documents/) what changed
5. embed      ingestion/embedding.py           its passages, in one batch (embedding cache; Ray when asked)
6. write      ingestion/writing.py             under the writer lock, planned again against the version as it
              embeddings/index_writer.py       is now: BM25, term vectors, upload copies, external vector
                                               store, then the version's files
7. switch     embeddings/index_writer.py       CURRENT names the new version (os.replace); servers follow it

The index specification (model, encoder variant, chunking, indexed text, BM25 tokenizer, term vectors;
embeddings/index_spec.py, built by `Settings.index_spec`) decides whether the current version's chunks and
vectors can be carried over; the server compares versions with the same specification. A sync loads, chunks
and embeds only files whose (name, sha256) the current version does not hold; the others are carried over.
Folder documents no longer under the given paths are dropped; uploaded documents are never touched by a sync.
BM25's statistics are corpus-wide, so its scores are computed again for all passages, from each passage's token
counts: those of passages the current version holds come from its bm25/rows.*.npy (embeddings/lexical/
term_rows.py), so only new passages are cut by jieba (a full build takes them from a token cache in the index
directory). Nothing is written when nothing changed. A change of the specification (or
`--rebuild`) processes everything again, uploads from their stored copies.

Writers hold the index directory's writer lock only while they merge with the current version and write;
loading and embedding happen before, so an upload does not wait for a long ingest's embedding.

Lexical first (`qa ingest --lexical`, uploads to a server with QA_LEXICAL_UPLOADS): step 5 is skipped and the
version written holds chunks and BM25 only; ingestion/background.py makes its term vectors, then its passage
vectors, batch by batch (kept in DIR/.pending-vectors.sqlite), and writes the complete version through step 6
and 7 like any other. A change to a lexical version stays lexical; `qa ingest` without --lexical completes it.
"""
from embeddings.index_spec import indexable_text
from qa_service.ingestion.embedding import PassageEmbedder, ingest_encoder
from qa_service.ingestion.preparing import DocumentPreparer, document_parser
from qa_service.ingestion.records import (EmptyIndex, FileTooLarge, IndexContents, IndexedDocument, IngestFailure,
                                          IngestReport, StepTimes)
from qa_service.ingestion.service import IngestionService

__all__ = ["DocumentPreparer", "EmptyIndex", "FileTooLarge", "IndexContents", "IndexedDocument", "IngestFailure",
           "IngestReport", "IngestionService", "PassageEmbedder", "StepTimes", "document_parser", "indexable_text",
           "ingest_encoder"]
