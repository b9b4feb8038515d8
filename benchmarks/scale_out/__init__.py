"""Issue 9's measurements (docs/deployment.md): workers sharing a mapped index, Milvus parity, ingest on Ray.
Not part of `make bench`; each script prints one JSON object per run."""
