# Two entry points (see README): `make run` and `make test`. Everything else is a step they share.
# The venv and the model weights live outside the clone (~/.cache/rag), so a second clone on the
# same machine reuses them; pip's wheel cache keeps the llama-cpp-python build (≈15 min) for reuse.
SHELL := /bin/bash
PYTHON ?= python3
CACHE ?= $(HOME)/.cache/rag
# The venv is keyed by the pinned dependency lists only, so editing other parts of pyproject keeps it.
DEPS_HASH := $(shell sed -n '/^dependencies/,/^]/p;/^\[project.optional-dependencies\]/,/^\[project.scripts\]/p' pyproject.toml | sha256sum | cut -c1-12)
VENV ?= $(CACHE)/venv-$(DEPS_HASH)
PY := $(VENV)/bin/python
RAG := $(PY) -m rag.cli
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

.PHONY: setup venv models index run test bench test-fast browser

setup: venv models index

venv: $(VENV)/.deps-installed
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . >/dev/null

$(VENV)/.deps-installed:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	# torch first, pinned: it comes from this machine's local CPU build, never a CUDA download
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[test,server,milvus]'
	touch $@

models: venv
	$(RAG) models fetch

index: models
	$(RAG) index

run: setup
	$(PY) app.py

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null)

# What `make test` runs: every tier that checks behaviour (fast, model, browser) and the answer-quality
# smoke (the dev set with its floors). `make bench` is the full answer-quality benchmark: every gold set
# and corpus form, report in runs/bench/. Exit 5 (no tests) is not a pass. A test that hangs is stopped
# after 20 min (no test takes 5 on a slow 2-core CPU), so a stuck run fails inside CI's limit.
PYTEST := $(PY) -m pytest -p no:cacheprovider -rs --durations=25 --timeout=1200
test: setup browser
	$(PYTEST) -m "not bench or smoke" tests

bench: setup
	$(PYTEST) -m bench tests

test-fast: venv
	$(PY) -m pytest -q
