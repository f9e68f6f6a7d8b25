# Two commands do all the set-up on a fresh machine:
#   make run    parse and mine the shipped corpus into outputs/
#   make test   lint and run the test suite
# Both create .venv from requirements.lock when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# OCR engine for scanned pages: Debian packages, installed when tesseract is missing and we
# are root (CI); otherwise the command to run is printed and scans stay E108 "needs OCR".
OCR_PACKAGES := tesseract-ocr tesseract-ocr-spa tesseract-ocr-por

.PHONY: setup ocr-engine browser run test lint bench bench-batch bench-ocr bench-review screenshots
setup: $(STAMP) ocr-engine browser

ocr-engine:
	@if command -v tesseract >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES)) \
		|| echo "warning: could not install $(OCR_PACKAGES): scanned pages will not be read"; \
	else \
		echo "note: OCR is not installed, so scanned pages are not read; install it with"; \
		echo "  sudo apt-get install $(OCR_PACKAGES)   (macOS: brew install tesseract tesseract-lang)"; \
	fi

# Chromium for the review app's browser tests (Playwright drives Debian's chromium; Playwright's
# own browser download is not used): installed when missing and we are root, else the tests skip.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "warning: could not install chromium: the review app's browser tests will skip"; \
	else \
		echo "note: chromium is not installed, so the review app's browser tests skip; install it with"; \
		echo "  sudo apt-get install chromium"; \
	fi

run: $(STAMP) ocr-engine
	$(BIN)/csminer run corpus/ --out outputs/

test: $(STAMP) ocr-engine browser
	$(BIN)/ruff check pipeline csminer tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check pipeline csminer tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_extract.py

bench-batch: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py

bench-ocr: $(STAMP) ocr-engine
	$(BIN)/python benchmarks/bench_ocr.py

bench-review: $(STAMP)
	$(BIN)/python benchmarks/bench_review.py

# Screenshots of the review app (queue, a record on its page) under outputs/, for a reviewer.
screenshots: $(STAMP) browser
	test -f outputs/inventory.sqlite || $(MAKE) run
	$(BIN)/python -m pipeline.review.shots --db outputs/inventory.sqlite --out outputs
