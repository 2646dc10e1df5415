# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The offline MNIST copy beside the checkout when there is one; else torchvision downloads into data/.
DATA_DIR ?= $(if $(wildcard ../shared/data/mnist/MNIST/raw),../shared/data/mnist,data)

.PHONY: demo test test-fast lint train eval presets bench browser balancer node fonts replicas clean

$(VENV)/.installed: requirements.txt tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -r tests/requirements.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m demo

# Debian packages the tests need, installed as root or through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { $(APT_INSTALL) chromium >/dev/null; }

# Debian's HAProxy, the load balancer of `make replicas` and its tests (Debian puts it in /usr/sbin).
balancer:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { $(APT_INSTALL) haproxy >/dev/null; }

# A Debian CJK font (WenQuanYi Micro Hei, 1.6 MB) for the Chinese page's screenshots
# (tests/test_page_language.py); without one, chromium draws the characters as empty boxes.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { $(APT_INSTALL) fonts-wqy-microhei >/dev/null; }

# Debian's nodejs for the JavaScript tests (tests/js/: the page's engine, run without a browser).
node:
	@command -v node >/dev/null || { $(APT_INSTALL) nodejs >/dev/null; }

# Lint (ruff, configured in pyproject.toml), then every test, on TEST_PROCESSES pytest processes
# (pytest-xdist; most tests wait on a server, a browser or a training run, so two share two cores
# well: see docs/benchmarks.md). `make test-fast` is the inner loop: every test not marked slow
# (no server, browser or training run), and the JavaScript tests.
TEST_PROCESSES = 2
test: $(VENV)/.installed browser balancer node fonts lint
	$(PY) -m pytest -q -n $(TEST_PROCESSES) --dist worksteal tests
	node --test tests/js/

test-fast: $(VENV)/.installed node
	$(PY) -m pytest -q -m "not slow" tests
	node --test tests/js/

lint: $(VENV)/.installed
	$(PY) -m ruff check .

# REPLICAS app processes behind HAProxy on HOST:PORT, in the foreground (deploy/replicas.py);
# Ctrl-C or SIGTERM stops them all. HOST=0.0.0.0 exposes the balancer to your network. Set them
# on the command line (make replicas PORT=8000): a HOST or PORT exported by the shell is ignored.
REPLICAS = 2
PORT = 7860
HOST = 127.0.0.1
replicas: $(VENV)/.installed balancer
	$(PY) -m deploy.replicas --replicas $(REPLICAS) --port $(PORT) --host $(HOST)

# Reproduces the committed default weights (weights/default.pt and its card default.json).
train: $(VENV)/.installed
	$(PY) train.py --data-dir $(DATA_DIR) --out weights/default.pt

# Every classic configuration, as published and with the default recipe: the list is
# model/presets.py's (`python -m model.presets`; the default model itself is `make train`).
presets: $(VENV)/.installed
	$(PY) -W ignore::RuntimeWarning -m model.presets | while read preset recipe; do \
	  $(PY) train.py --data-dir $(DATA_DIR) --preset $$preset --recipe $$recipe || exit 1; done

eval: $(VENV)/.installed
	$(PY) train.py --data-dir $(DATA_DIR) --eval-only --weights weights/default.pt

clean:
	rm -rf $(VENV) .pytest_cache
