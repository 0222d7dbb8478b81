# The two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
# pango for WeasyPrint (PDFs), fonts for the same look everywhere, espeak-ng and ffmpeg for the questionnaires'
# speech (flask --app portal audio) and recorded voices, chromium, poppler and LibreOffice Calc for the tests
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core espeak-ng ffmpeg
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils gettext libreoffice-calc-nogui
HOST ?= 127.0.0.1
# the demo (make run) listens on 5000, the production server (make serve) on 8000
run: PORT ?= 5000
serve: PORT ?= 8000

.PHONY: run serve test setup system-run system-test translations translations-update bench clean

run: setup system-run
	$(BIN)/flask --app portal demo --if-empty
	$(BIN)/flask --app portal audio
	$(BIN)/flask --app portal freeze
	@for q in intake exit facilitator_intake facilitator_exit; do $(BIN)/flask --app portal paper $$q >/dev/null || exit 1; done
	@echo "Portal en http://$(HOST):$(PORT)/  (Ctrl+C para detener)"
	PORTAL_COOKIE_SECURE=0 $(BIN)/flask --app portal run --host $(HOST) --port $(PORT)

# The production server (waitress, portal/serve.py) on HOST:PORT, for the instance of PORTAL_INSTANCE;
# secure cookies unless PORTAL_COOKIE_SECURE=0, proxy headers only with PORTAL_PROXIES=N.
serve: setup system-run
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m portal.serve

test: setup system-test
	$(BIN)/python -m pytest

setup: $(STAMP) translations

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

system-run:
	@scripts/system-packages.sh $(RUN_PACKAGES)

system-test:
	@scripts/system-packages.sh $(TEST_PACKAGES)

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

translations-update: $(STAMP)
	$(BIN)/flask --app portal translate update

bench: setup
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/freeze.py --scale 1
	$(BIN)/python bench/import_site.py
	$(BIN)/python bench/audio.py
	$(BIN)/python bench/analysis.py

clean:
	rm -rf $(VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo
