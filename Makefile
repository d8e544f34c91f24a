# Two commands matter: `make book` builds the site, `make test` runs every check.
# Each creates .venv (Python 3.11) and installs requirements.txt into it when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: book test lint serve bench robustness notebooks catalogues clean

$(STAMP): requirements.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

notebooks: $(STAMP)  ## regenerate the .ipynb twins of the chapters (for Colab and downloads)
	$(BIN)/python _ext/sync_notebooks.py

# The execution and doctree caches are keyed on the notebooks' text only: drop both when reidlab changes, or a
# chapter would show results of the package as it was.
REIDLAB_SRC := $(shell find code/reidlab -name '*.py')
_build/.cache-matches-code: $(REIDLAB_SRC)
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# The reader's build: chapters executed side by side into the cache (_ext/execute.py), then the
# site. A claim that does not hold on this machine becomes a note at its sentence (_ext/claims.py);
# with REIDLAB_STRICT_CLAIMS=1 or CI set (make test, .ci/run) it fails the build instead.
book: notebooks _build/.cache-matches-code
	$(BIN)/python _ext/execute.py
	REIDLAB_BOOK_BUILD=1 $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	REIDLAB_BOOK_BUILD=1 $(BIN)/python _ext/edition_zh.py build
	@echo "The book is in $(CURDIR)/_build/html/index.html, 中文版 in _build/html/zh/ (or run: make serve)"

# After changing English text: bring the Chinese catalogues up to date, then translate what is new
# or fuzzy in locales/zh_CN/LC_MESSAGES/chapters/*.po (make lint says where).
catalogues: $(STAMP)
	$(BIN)/python _ext/edition_zh.py catalogues

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python _ext/po_check.py

test: lint  ## lint, package tests, strict build, then book tests (build output, real browser)
	$(BIN)/python -m pytest code/tests -q
	REIDLAB_STRICT_CLAIMS=1 $(MAKE) book
	REIDLAB_STRICT_CLAIMS=1 $(BIN)/python -m pytest tests -q

serve:  ## serve the built site on this machine only
	$(BIN)/python -m http.server --directory _build/html --bind 127.0.0.1 $(PORT)

bench: $(STAMP)  ## speed and agreement against reference libraries, as ratios
	$(BIN)/python benchmarks/run.py

robustness: $(STAMP)  ## every chapter on simulated machines: where each claim holds (about an hour)
	$(BIN)/python benchmarks/robustness.py

clean:
	rm -rf _build
