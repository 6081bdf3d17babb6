# Two commands for a newcomer: `make demo` runs the main job, `make test` runs the tests.
# Each creates .venv when it is missing and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# `make test EXTRAS=dev,torch,bench` adds the PyTorch cross-checks (torch==2.13.0, CPU build) and
# micrograd for the benchmark (what .ci/run does).
EXTRAS ?= dev
# The main job needs the lab extra on top of the runtime dependencies: matplotlib for the
# figures, the graphviz-pure renderer for the steppers (no system Graphviz needed), Markdown and
# latex2mathml for report.html. `gradstep lab1` checks all of it before it trains.
DEMO_EXTRAS ?= lab
comma := ,
stamp = $(VENV)/.installed-$(subst $(comma),-,$(1))
OUT ?= out/lab1

.PHONY: demo test docs lint bench clean

$(VENV)/.installed-%: setup.cfg pyproject.toml
	@echo "installing gradstep with the $(subst -,$(comma),$*) extra(s) into $(VENV) (a minute or two the first time)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(subst -,$(comma),$*)]'
	touch $@

# The main job: the whole lab; its last lines name every file to open (report, pages).
demo: $(call stamp,$(DEMO_EXTRAS))
	$(PY) -m experiments lab1 --out $(OUT)

test: $(call stamp,$(EXTRAS))
	bash .ci/ensure-browser
	$(PY) -m pytest

# The documentation site, offline, warnings as errors: docs/_build/html/index.html
docs: $(call stamp,docs)
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "documentation: docs/_build/html/index.html"

lint: $(call stamp,$(EXTRAS))
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) *.egg-info build dist .pytest_cache .hypothesis docs/_build docs/jupyter_execute
