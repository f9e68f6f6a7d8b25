# Two commands do all the set-up on a fresh machine:
#   make run    parse and mine the shipped corpus into outputs/
#   make test   lint and run the test suite
# Both create .venv from requirements.lock when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The package is byte-compiled once installed: an editable install leaves it uncompiled, and
# where PYTHONDONTWRITEBYTECODE is set every run compiled its modules again (about 0.2 s of a
# one-report run). A compiled file older than its source is ignored, never used.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m compileall -q pipeline csminer
	touch $(STAMP)

# OCR engine for scanned pages: Debian packages, installed when tesseract is missing and we
# are root (CI); otherwise the command to run is printed and scans stay E108 "needs OCR".
OCR_PACKAGES := tesseract-ocr tesseract-ocr-spa tesseract-ocr-por

.PHONY: setup ocr-engine browser run test lint bench bench-batch bench-ocr bench-review screenshots \
	bench-speed bench-scale bench-dask profile report
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

# One report, the shipped corpus cold, memory per worker, a warm process (medians of 3, with load).
bench-speed: $(STAMP)
	$(BIN)/python benchmarks/bench_speed.py

# A synthetic inventory of 100,000 records: adding a report with linking, export, status, query plans.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

# Dask LocalCluster of 1 and of 2 worker processes on the same corpus: the throughput ratio.
bench-dask: $(STAMP)
	$(BIN)/python benchmarks/bench_dask.py

# cProfile of start-up plus one report, and of the corpus mined warm: the top entries.
profile: $(STAMP)
	$(BIN)/python benchmarks/profile_run.py

bench-ocr: $(STAMP) ocr-engine
	$(BIN)/python benchmarks/bench_ocr.py

bench-review: $(STAMP)
	$(BIN)/python benchmarks/bench_review.py

# Screenshots of the review app (queue, a record on its page) under outputs/, for a reviewer.
screenshots: $(STAMP) browser
	test -f outputs/inventory.sqlite || $(MAKE) run
	$(BIN)/python -m pipeline.review.shots --db outputs/inventory.sqlite --out outputs

# The inventory in figures (outputs/report.html, each figure as PNG and SVG beside it) and a
# screenshot of the page in chromium (outputs/report-page.png), which fails if a figure did not render.
report: $(STAMP) browser
	test -f outputs/inventory.sqlite || $(MAKE) run
	$(BIN)/csminer report --db outputs/inventory.sqlite --out outputs/report.html
	$(BIN)/python -m pipeline.report --page outputs/report.html --out outputs/report-page.png
