# losi: `make demo` assesses the bundled sample portals; `make test` runs the tests.
# Both set up everything they need on a fresh Debian machine (scripts/setup.sh).
VENV := .venv
PY := $(VENV)/bin/python
LOSI := $(VENV)/bin/losi
OUT ?= demo-out

.PHONY: setup demo test lint bench bench-big bench-batch bench-memory bench-distributed bench-accuracy clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m losi.demo --out $(OUT)

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m bench.run

bench-big: setup
	$(PY) -m bench.bench_big

bench-batch: setup
	$(PY) -m bench.bench_batch

bench-memory: setup
	$(PY) -m bench.bench_memory

bench-distributed: setup
	$(PY) -m bench.bench_distributed

bench-accuracy: setup
	$(PY) -m bench.accuracy $(if $(FRAMEWORK),--framework $(FRAMEWORK))

clean:
	rm -rf $(OUT) bench-out .pytest_cache
