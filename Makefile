# Two commands do all set-up on a fresh machine (Python 3.11+, Java 17+):
#   make demo   -> venv + install, simulate a year of demo data, run the whole pipeline
#   make test   -> venv + install, run the test suite
#   make dashboard -> the web dashboard on http://127.0.0.1:8501 (ARGS='--host 0.0.0.0 --port 8080')
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean install dashboard

$(STAMP): pyproject.toml
	@scripts/check_java.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev,dashboard]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/lakehouse-inv run $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder $(ARGS)

dashboard: $(STAMP)
	$(VENV)/bin/lakehouse-inv dashboard $(ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:
	rm -rf landing warehouse checkpoints mlruns mlruns.db spark-warehouse metastore_db derby.log
