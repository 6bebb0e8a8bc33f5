# ecoflow — two commands: `make demo` runs every DAG through Airflow on the demo feeds; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test check lint bench screenshots clean fuzz reliability

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/python -m demo.run_demo

# The steward-review tests run a real Airflow (API server, scheduler, DAG processor; and docker-compose.yml's whole
# Celery stack natively, tests/review/test_native_stack.py) and mostly wait for it: they run beside the rest of the
# suite, in their own pytest process and temporary folder, and both must pass. The rest runs on both cores
# (pytest-xdist: two workers, each test on one; `make reliability` runs the fault suite in one process).
test: setup
	$(BIN)/ruff check .
	@mkdir -p .ecoflow
	$(BIN)/pytest -q -p no:cacheprovider --basetemp=/tmp/ecoflow-review-tests tests/review \
		> .ecoflow/review-tests.log 2>&1 & review=$$!; \
	$(BIN)/pytest -q -n 2 --dist worksteal --ignore=tests/review; main=$$?; \
	wait $$review; reviewed=$$?; \
	echo "--- tests/review (steward review in a real Airflow; log .ecoflow/review-tests.log)"; \
	tail -n 40 .ecoflow/review-tests.log; \
	exit $$(( main != 0 || reviewed != 0 ))

# The parsers' fuzz tests at 100,000 generated inputs each (2,000 in `make test`).
fuzz: setup
	ECOFLOW_FUZZ_EXAMPLES=100000 $(BIN)/pytest -q tests/faults/test_fuzz.py

# The fault suite and the fuzz tests, then docs/reliability.md written from their figures.
reliability: setup
	ECOFLOW_WRITE_RELIABILITY=1 $(BIN)/pytest -q tests/faults

# The quick loop before a small change: lint, unit tests (the layering test among them), DAG integrity.
check: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider -n 2 tests/unit tests/dags/test_dag_integrity.py

lint: setup
	$(BIN)/ruff check .

screenshots: setup  # the steward guide's screenshots, taken by the browser test in a real Airflow
	ECOFLOW_SCREENSHOTS=docs/images/review $(BIN)/pytest -q tests/review/test_review_in_browser.py

bench: setup
	$(BIN)/python -m bench.run_bench

clean:
	rm -rf .ecoflow .pytest_cache
