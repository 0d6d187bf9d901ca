# Tongguan — `make serve` and `make test` work on a fresh clone.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench lint venv seed clean rasa

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
	$(BIN)/tongguan serve --host 0.0.0.0 --port 8080

# Under CI the Rasa and PostgreSQL suites must run, not skip: build the Rasa venv first,
# and use the local PostgreSQL unless TONGGUAN_TEST_POSTGRES_URL names another.
ifdef CI
export TONGGUAN_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
endif
test: $(STAMP) $(if $(CI),$(RASA_STAMP))
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	@for f in bench/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache
