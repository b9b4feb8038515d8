"""Vectors in Milvus (pip install .[milvus]): Milvus Lite in-process for a local `.db` path, or a Milvus
server or cluster for `http://host:19530` (with token and database passed through).

One collection per index: a VARCHAR chunk-id primary key, the document id (deletes go by document), a
FLOAT_VECTOR under the IP metric (vectors are normalised, so IP = cosine, the same scores as FAISS).
With `full_text=True` the chunk text goes in too, analysed by Milvus's jieba tokenizer, and a BM25
function keeps a sparse vector per chunk for Chinese full-text search inside the engine.

Collections are created with Strong consistency so a search sees the writes just made (what ingest and
the tests expect). Exact `similarities` fetch the stored vectors and take the dot product here, so they
are exact whatever ANN index the collection uses. Milvus Lite opens its `.db` folder in one process only:
several API workers need a Milvus server.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Sequence

import numpy as np

from embeddings.lexical.chinese_tokenizer import STOP_WORDS
from embeddings.vector_stores.keyed_base import KeyedVectorStore, RowSelection, ScoredId, check_batch

log = logging.getLogger(__name__)

ID_FIELD, DOC_FIELD, VECTOR_FIELD, TEXT_FIELD, SPARSE_FIELD = "id", "doc", "vector", "text", "sparse"
LITE_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": 0}
MAX_ID_BYTES = 128
MAX_DOC_BYTES = 1024
MAX_TEXT_BYTES = 65535  # Milvus's VARCHAR limit
WRITE_BATCH = 256  # rows per insert RPC (a 512-d float vector is 2 KB on the wire)
READ_BATCH = 1000  # ids per get RPC
# Punctuation jieba emits as tokens: the local tokenizer drops it, Milvus Lite has no filter for it but "stop".
_PUNCTUATION = frozenset("，。、；：？！“”‘’（）《》【】〔〕—…·,.;:?!\"'()[]<>-/%")
# Milvus's jieba tokenizer (search mode, as the local BM25 index) dropping the local index's stop words and
# punctuation, so both rank alike. Milvus Lite has no "chinese" analyzer type and no cnalphanumonly filter.
JIEBA_ANALYZER: dict[str, Any] = {
    "tokenizer": "jieba", "filter": [{"type": "stop", "stop_words": sorted(STOP_WORDS | _PUNCTUATION)}]}


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression (backslash and double quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def selection_expression(only: RowSelection | None) -> str:
    """The filter expression that keeps a search inside a selection: by document when it is whole documents
    (short, and served by the document field's inverted index), else by chunk key (the selected keys, or the
    others when they are fewer). Its length grows with the keys named: a passage-level filter on a very large
    collection makes a long expression."""
    if only is None:
        return ""
    if only.documents is not None:
        return f"{DOC_FIELD} in [{', '.join(quote(d) for d in sorted(only.documents))}]"
    if 2 * only.rows.size <= len(only.key_of):
        return f"{ID_FIELD} in [{', '.join(quote(k) for k in only.keys)}]"
    # Most rows: name the fewer ones left out (Milvus Lite took 1.1 s for an `in` of 19,000 keys, 0.5 s of 1,000).
    outside = np.setdiff1d(np.arange(len(only.key_of)), only.rows)
    return "" if outside.size == 0 else f"{ID_FIELD} not in [{', '.join(quote(only.key_of[r]) for r in outside)}]"


def _fits(value: str, limit: int, what: str) -> None:
    if len(value.encode("utf-8")) > limit:
        raise ValueError(f"{what} {value[:40]!r}... is longer than {limit} bytes")


def _client_options(uri: str, token: str, db_name: str) -> dict[str, Any]:
    options: dict[str, Any] = {"uri": uri}
    if uri.endswith(".db"):
        # Milvus Lite serves gRPC on loopback with the default server ping policy, while pymilvus pings every
        # 10 s: an idle client is sent GOAWAY "too_many_pings" and its reconnection can fail mid-run.
        # Keepalive pings are pointless on a loopback connection to this process's own server.
        options["grpc_options"] = LITE_GRPC_OPTIONS
    if token:
        options["token"] = token
    if db_name:
        options["db_name"] = db_name
    return options


def drop_collection(uri: str, collection: str, token: str = "", db_name: str = "") -> bool:
    """Drop `collection` at `uri` if it is there (its knowledge base was deleted); True when it was."""
    from pymilvus import MilvusClient

    client = MilvusClient(**_client_options(uri, token, db_name))
    try:
        if not client.has_collection(collection):
            return False
        client.drop_collection(collection)
        return True
    finally:
        client.close()


class MilvusVectorStore(KeyedVectorStore):
    def __init__(self, uri: str, dimension: int, collection: str = "qa_chunks", token: str = "",
                 db_name: str = "", full_text: bool = False, index_type: str = "FLAT",
                 index_params: dict[str, Any] | None = None, search_params: dict[str, Any] | None = None,
                 analyzer_params: dict[str, Any] | None = None) -> None:
        """Open (creating if missing) `collection` at `uri`; refuse one whose dimension or fields differ."""
        from pymilvus import MilvusClient

        if not uri.startswith(("http://", "https://", "tcp://", "unix:")) and not uri.endswith(".db"):
            raise ValueError(f"QA_MILVUS_URI {uri!r}: a local Milvus Lite file must end in .db, "
                             "a server is http://host:19530")
        self.dimension = dimension
        self.collection = collection
        self.full_text = full_text
        self._search_params = dict(search_params or {})
        self._analyzer = analyzer_params or JIEBA_ANALYZER
        self._client = MilvusClient(**_client_options(uri, token, db_name))
        if self._client.has_collection(collection):
            self._check_existing()
            self._client.load_collection(collection)  # a reopened collection starts released (unsearchable)
        else:
            self._create(index_type, index_params or {})

    def _create(self, index_type: str, index_params: dict[str, Any]) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID_FIELD, DataType.VARCHAR, is_primary=True, max_length=MAX_ID_BYTES)
        schema.add_field(DOC_FIELD, DataType.VARCHAR, max_length=MAX_DOC_BYTES)
        schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=self.dimension)
        indexes = self._client.prepare_index_params()
        indexes.add_index(field_name=VECTOR_FIELD, index_type=index_type, metric_type="IP", params=index_params)
        indexes.add_index(field_name=DOC_FIELD, index_type="INVERTED")  # delete by document without a scan
        if self.full_text:
            schema.add_field(TEXT_FIELD, DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                             analyzer_params=self._analyzer)
            schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                         input_field_names=[TEXT_FIELD], output_field_names=[SPARSE_FIELD]))
            indexes.add_index(field_name=SPARSE_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._client.create_collection(self.collection, schema=schema, index_params=indexes,
                                       consistency_level="Strong")
        log.info("created Milvus collection %s (%d-d, %s, full text %s)", self.collection, self.dimension,
                 index_type, self.full_text)

    def _check_existing(self) -> None:
        described = self._client.describe_collection(self.collection)
        fields = {f["name"]: f for f in described.get("fields", [])}
        if VECTOR_FIELD not in fields or DOC_FIELD not in fields:
            raise ValueError(f"Milvus collection {self.collection!r} was not made by this service "
                             f"(fields {sorted(fields)}): choose another collection name")
        dim = int(fields[VECTOR_FIELD].get("params", {}).get("dim", -1))
        if dim != self.dimension:
            raise ValueError(f"Milvus collection {self.collection!r} holds {dim}-dimensional vectors, "
                             f"the encoder gives {self.dimension}: drop it or use another collection")
        if self.full_text and TEXT_FIELD not in fields:
            raise ValueError(f"Milvus collection {self.collection!r} has no full-text field: recreate it")
        self.full_text = TEXT_FIELD in fields

    def add(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray,
            texts: Sequence[str] | None = None) -> None:
        """Upsert rows; with full text on, `texts` (what BM25 indexes, aligned with ids) is required."""
        vectors = check_batch(ids, doc_ids, vectors, self.dimension)
        if self.full_text and (texts is None or len(texts) != len(ids)):
            raise ValueError("this collection indexes full text: pass one text per chunk")
        for chunk_id in ids:
            _fits(chunk_id, MAX_ID_BYTES, "chunk id")
        for doc in set(doc_ids):
            _fits(doc, MAX_DOC_BYTES, "document id")
        for text in texts or ():
            _fits(text, MAX_TEXT_BYTES, "chunk text")
        for start in range(0, len(ids), WRITE_BATCH):
            rows = []
            for i in range(start, min(start + WRITE_BATCH, len(ids))):
                row: dict[str, Any] = {ID_FIELD: ids[i], DOC_FIELD: doc_ids[i], VECTOR_FIELD: vectors[i].tolist()}
                if self.full_text:
                    row[TEXT_FIELD] = texts[i]
                rows.append(row)
            self._client.upsert(self.collection, rows)
        self.flush()

    def flush(self) -> None:
        """Seal what was just written. Milvus Lite otherwise rebuilds the unsealed rows' index at every search
        (measured on the full corpus: 830 ms a query unsealed, 26 ms sealed); on a server it turns one `add`
        call into one sealed segment, so add in bulk, not row by row."""
        self._client.flush(self.collection)

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        docs = sorted(set(doc_ids))
        if not docs:
            return 0
        expression = f"{DOC_FIELD} in [{', '.join(quote(d) for d in docs)}]"
        before = len(self)
        self._client.delete(self.collection, filter=expression)
        return before - len(self)

    def search(self, vector: np.ndarray, k: int, only: RowSelection | None = None) -> list[ScoredId]:
        if k <= 0 or (only is not None and only.rows.size == 0):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dimension:
            raise ValueError(f"expected a {self.dimension}-d query vector, got {query.shape[0]}")
        result = self._client.search(self.collection, data=[query.tolist()], anns_field=VECTOR_FIELD, limit=k,
                                     filter=selection_expression(only),
                                     search_params={"metric_type": "IP", "params": self._search_params})
        return [ScoredId(str(hit["id"]), float(hit["distance"])) for hit in result[0]]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        found = self.vectors(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise KeyError(f"{len(missing)} chunk ids not in the store, e.g. {missing[:3]}")
        matrix = np.stack([found[i] for i in ids])
        return matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those ids that exist."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), READ_BATCH):
            rows = self._client.get(self.collection, ids=unique[start:start + READ_BATCH],
                                    output_fields=[VECTOR_FIELD])
            for row in rows:
                found[str(row[ID_FIELD])] = np.asarray(row[VECTOR_FIELD], dtype=np.float32)
        return found

    def full_text_search(self, query: str, k: int) -> list[ScoredId]:
        """BM25 top-k chunk ids and scores for a question, computed by Milvus over its jieba tokens.

        Scores are returned positive (higher = better): Milvus Lite reports BM25 as a negated distance,
        a Milvus server as the score itself; BM25 scores are never negative, so the magnitude is the score.
        """
        if not self.full_text:
            raise ValueError(f"Milvus collection {self.collection!r} was created without full text")
        if k <= 0 or not query.strip():
            return []
        result = self._client.search(self.collection, data=[query], anns_field=SPARSE_FIELD, limit=k,
                                     search_params={"metric_type": "BM25"})
        hits = [ScoredId(str(hit["id"]), abs(float(hit["distance"]))) for hit in result[0]]
        return sorted(hits, key=lambda h: -h.score)

    def __len__(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def drop(self) -> None:
        """Delete the whole collection (a rebuild from scratch)."""
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        self._client.close()
