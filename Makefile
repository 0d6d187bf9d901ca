# Tongguan — `make serve` and `make test` work on a fresh clone.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench lint typecheck venv seed clean rasa vendor

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# The optional Rasa NLU server runs in its own Python 3.10 venv (Rasa 3.6 pins old
# SQLAlchemy and aiohttp, so never in .venv). `make rasa` builds it (~4 min, ~2.7 GB).
PY310 ?= $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python
RASA_VENV := var/rasa-venv
RASA_STAMP := $(RASA_VENV)/.installed

$(RASA_STAMP):
	@test -x "$(PY310)" || { echo "make rasa: Python 3.10 not found at $(PY310) (set PY310=...)"; exit 1; }
	mkdir -p var
	"$(PY310)" -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip
	$(RASA_VENV)/bin/pip install -q rasa==3.6.21 jieba
	@touch $(RASA_STAMP)

rasa: $(RASA_STAMP)

serve: $(STAMP)
	$(BIN)/tongguan db upgrade
	$(BIN)/tongguan demo seed
	TONGGUAN_ENV=development $(BIN)/tongguan serve --host 0.0.0.0 --port 8080

# CI mode: CI set to anything but empty, false, 0, no or off (also capitalised), so CI=false
# is a local run. Under CI the Rasa and PostgreSQL suites must run, not skip: build the
# Rasa venv first, use the local PostgreSQL unless TONGGUAN_TEST_POSTGRES_URL names
# another, and hand the tests CI=true (they check for exactly that).
IS_CI := $(strip $(filter-out false False FALSE 0 no No NO off Off OFF,$(CI)))
ifneq ($(IS_CI),)
override CI := true
export CI
export TONGGUAN_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
endif
# pytest-xdist: PYTEST_WORKERS=0 runs in one process (e.g. with --pdb). Tests that share
# something (the Rasa server) carry @pytest.mark.xdist_group and run on one worker.
PYTEST_WORKERS ?= auto
# ruff, then the suite (the ten slowest tests listed at the end), then mypy over bot/ and
# codes/ (settings in pyproject.toml).
test: $(STAMP) $(if $(IS_CI),$(RASA_STAMP))
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup \
		--durations=10 $(PYTEST_ARGS)
	$(BIN)/mypy

# Every bench script; bench/mixed_load.py in its --quick size (a 2-core machine).
bench: $(STAMP)
	@for f in bench/[!_]*.py; do [ $$f = bench/mixed_load.py ] && continue; \
		echo "== $$f"; $(BIN)/python $$f || exit 1; done
	@echo "== bench/mixed_load.py --quick"; $(BIN)/python bench/mixed_load.py --quick

# Front-end libraries, vendored from the npm registry (pinned, integrity-checked; no npm
# needed): refreshes bot/web/static/vendor/<lib>/ with VERSION and LICENSE.
vendor: $(STAMP)
	$(BIN)/python -m bot.web.vendor

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Only what a build or a test run recreates: never var/keys (health-code signing keys)
# nor the database under var/.
clean:
	rm -rf $(VENV) $(RASA_VENV) var/rasa-models var/rasa-cache .pytest_cache .ruff_cache \
		.mypy_cache .hypothesis build dist *.egg-info
	find bot codes tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
