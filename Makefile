# every habit of the project is one command here; see README.md
PYTHON ?= python3
VENV := .venv
DEV := .venv-dev
PORT ?= 8080
CONFIG ?=
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo serve test test-provision lint bench bench-hub i18n setup setup-dev system clean

# the box's runtime environment: runtime dependencies only (what a Pi runs)
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	$(VENV)/bin/pybabel -q compile -f -d locales -D messages
	touch $@

# the developers' environment: runtime + test, lint and client libraries
$(DEV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEV)
	$(DEV)/bin/pip install -q --upgrade pip
	$(DEV)/bin/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

setup-dev: $(DEV)/.installed $(VENV)/.installed

# serve the demo site on the embedded defaults (sample site, SQLite under ./data, fake printer)
demo: setup
	$(VENV)/bin/contactpoint demo --port $(PORT)

# serve a real site configuration: make serve CONFIG=/etc/contactpoint/site.toml
serve: setup
	@test -n "$(CONFIG)" || { echo "usage: make serve CONFIG=path/to/site.toml"; exit 2; }
	$(VENV)/bin/contactpoint serve --config $(CONFIG) --port $(PORT)

# the Debian packages the tests use: Chromium (browser tests), espeak-ng (announcements), the ticket fonts, raqm
# (Arabic shaping), zbar (reading printed QR codes), PostgreSQL (the hub tests start a server of their own). Installed when missing and we are root; else say which.
DEBIAN_PACKAGES := chromium espeak-ng fonts-dejavu-core fonts-noto-core libraqm0 zbar-tools postgresql
DEBIAN_PACKAGES += sqlite3  # tests/test_backup.py checks `contactpoint db info` against sqlite3's own figures
# the provisioning tests: systemd-analyze (systemd), nft (nftables), cage (the screen unit), debootstrap
DEBIAN_PACKAGES += systemd nftables cage debootstrap
system:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing $$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "the tests need these Debian packages: sudo apt-get install $$missing"; exit 1; fi; fi

# the suite in WORKERS processes (pytest-xdist; a module's tests stay in one: its live server is started once);
# WORKERS=0 runs it in this process, as a debugger wants
WORKERS ?= 3
test: setup-dev system
	$(VENV)/bin/pybabel -q compile -f -d locales -D messages
	$(DEV)/bin/python -m pytest -q -n $(WORKERS) --dist loadfile

# install.sh for real, twice, in a Debian bookworm chroot the test makes with debootstrap (root; minutes)
test-provision: setup-dev system
	$(DEV)/bin/python -m pytest -q -m provision tests/test_provision_chroot.py tests/test_update.py

lint: setup-dev
	$(DEV)/bin/ruff check .
	$(DEV)/bin/mypy

# quick benchmark (< 3 minutes); the server runs in the runtime-only environment
bench: setup-dev
	$(DEV)/bin/python -m bench.run --quick

# the regional hub's dashboard queries on a real PostgreSQL (a temporary server): make bench-hub DAYS=365
DAYS ?= 14
bench-hub: setup-dev system
	$(DEV)/bin/python -m bench.hub --sites 50 --days $(DAYS)

# extract, update and compile the translation catalogues
i18n: setup-dev
	$(DEV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o locales/messages.pot --no-location --sort-output --project contactpoint .
	$(DEV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(DEV)/bin/pybabel compile -f -d locales -D messages
	# the regional hub's own catalogues (domain "hub"; the hub compiles them when it starts)
	cd hub && ../$(DEV)/bin/pybabel extract -F babel.cfg -o locales/hub.pot --no-location --sort-output --project contactpoint-hub .
	$(DEV)/bin/pybabel update -i hub/locales/hub.pot -d hub/locales -D hub --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) $(DEV) data .pytest_cache
