# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The offline MNIST copy beside the checkout when there is one; else torchvision downloads into data/.
DATA_DIR ?= $(if $(wildcard ../shared/data/mnist/MNIST/raw),../shared/data/mnist,data)

.PHONY: demo test train eval presets bench browser clean

$(VENV)/.installed: requirements.txt tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -r tests/requirements.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m demo

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

test: $(VENV)/.installed browser
	$(PY) -m pytest -q tests

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
