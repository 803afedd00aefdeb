# Two entry points (see README): `make run` and `make test`. Everything else is a step they share.
# The venv and the model weights live outside the clone (~/.cache/rag), so a second clone on the
# same machine reuses them (the llama-cpp-python build takes 7–15 min).
SHELL := /bin/bash
PYTHON ?= python3
CACHE ?= $(HOME)/.cache/rag
# llama.cpp is compiled for the instruction sets this CPU reports, named one by one, AMX left out: AMX tile
# instructions fault where a hypervisor advertises AMX without enabling it (seen on an Intel Xeon VM), and
# llama.cpp has no runtime check. `make LLAMA_ISA="avx2 fma f16c"` builds for fewer (to imitate another CPU).
LLAMA_ISA ?= $(shell grep -m1 '^flags' /proc/cpuinfo)
on = $(if $(filter $(1),$(LLAMA_ISA)),ON,OFF)
all_on = $(if $(filter-out $(LLAMA_ISA),$(1)),OFF,ON)
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_SSE42=$(call on,sse4_2) -DGGML_AVX=$(call on,avx) \
  -DGGML_AVX2=$(call on,avx2) -DGGML_FMA=$(call on,fma) -DGGML_F16C=$(call on,f16c) -DGGML_BMI2=$(call on,bmi2) \
  -DGGML_AVX_VNNI=$(call on,avx_vnni) -DGGML_AVX512=$(call all_on,avx512f avx512cd avx512vl avx512dq avx512bw) \
  -DGGML_AVX512_VBMI=$(call on,avx512vbmi) -DGGML_AVX512_VNNI=$(call on,avx512_vnni) \
  -DGGML_AVX512_BF16=$(call on,avx512_bf16)
# The venv is keyed by the pinned dependency lists and llama.cpp's build flags, so editing other parts of
# pyproject keeps it, and a CPU with other instruction sets gets its own.
DEPS_HASH := $(shell (sed -n '/^dependencies/,/^]/p;/^\[project.optional-dependencies\]/,/^\[project.scripts\]/p' \
  pyproject.toml; echo '$(LLAMA_CMAKE)') | sha256sum | cut -c1-12)
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
	# llama-cpp-python compiled with the flags above; pip's wheel cache is skipped, as it ignores CMAKE_ARGS
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip install --no-cache-dir "$$(grep -m1 -o 'llama-cpp-python==[0-9.]*' pyproject.toml)"
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
