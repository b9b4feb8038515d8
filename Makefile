# Two commands: `make run` serves the bundled corpus, `make test` runs the tests. Both set everything up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
INDEX  ?= var/index
STAMP  := $(VENV)/.installed

# Python may be told not to write bytecode (PYTHONDONTWRITEBYTECODE is set on this machine kind): then every `qa`
# process compiled the project's modules again (0.45 s of CPU each for `qa docs list`, 3.45 -> 3.0 s; the tests
# start hundreds of `qa` processes) and pytest rewrote every test module on every run. Caches go to __pycache__
# (git-ignored).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test setup model index eval ablation bench clean

setup: $(STAMP)

# torch is installed first and pinned to the CPU build; an unpinned torch would pull CUDA wheels.
# The openvino extra (encoder backend, int8 export) pulls neither torch nor another transformers.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,openvino,distributed,milvus]'
	$(BIN)/opt_in_out --opt_out >/dev/null  # no usage telemetry from the OpenVINO export tools
	touch $(STAMP)

model: $(STAMP)
	$(BIN)/qa fetch-model

index: model
	$(BIN)/qa ingest data/corpus --index $(INDEX) --if-stale

# Answers within a minute of a fresh clone (after the install): a lexical version (chunks and BM25, no model) is
# written at once and served; the server fetches the model and makes the vectors in the background, then switches
# to hybrid retrieval (README "Quick start"; docs/performance.md has the times).
run: $(STAMP)
	$(BIN)/qa ingest data/corpus --index $(INDEX) --if-stale --lexical --quiet
	$(BIN)/qa serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: model
	$(BIN)/python -m pytest

QUESTIONS ?= ../shared/eval/dev.jsonl ../shared/eval/dev_paraphrase.jsonl ../shared/eval/dev_unanswerable.jsonl

eval: index
	$(BIN)/qa eval $(QUESTIONS) --index $(INDEX) --out var/reports/dev.json --md var/reports/dev.md

ablation: model
	$(BIN)/qa eval-ablate $(QUESTIONS) --out-dir var/ablation --md var/ablation/table.md

# Performance figures (docs/performance.md): writes benchmarks/results/latest.json, prints the tables.
# About 45 minutes on the 2-core machine kind (OpenVINO int8), readiness included (time to first answer, to full
# quality and upload to answerable, bundled and synthetic 10x); BENCH_QUICK=1 for a smoke run of a few minutes.
bench: model
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) var build *.egg-info
