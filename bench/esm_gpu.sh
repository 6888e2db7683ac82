#!/usr/bin/env bash
# ESM C throughput on a CUDA machine, in about 5 minutes: builds a fresh venv, installs torch + esm the
# way docs/protein.md describes, and runs the throughput part of bench/esm_dms.py on cuda for the tiny
# random ESM C and a randomly initialised model of esmc_300m's shape (no weights needed).
#
# Run from anywhere: bash bench/esm_gpu.sh
# Environment:
#   PIP_TORCH_SPEC  torch requirement or wheel path (default torch==2.13.0; on Linux x86_64 PyPI's
#                   torch==2.13.0 is the CUDA 13.0 build, pulling nvidia-* and triton wheels, ~3 GB)
#   WHEELHOUSE      folder of pre-downloaded wheels for a machine without internet (pip --no-index)
#   PYTHON          interpreter for the venv (default python3.11, else python3)
#   ESM_GPU_VENV    venv folder (default /tmp/hypoforge-esm-gpu; reused if it already works)
#   OUT             if set, the log is also written to $OUT/esm_gpu.log
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${ESM_GPU_VENV:-/tmp/hypoforge-esm-gpu}
PIP_TORCH_SPEC=${PIP_TORCH_SPEC:-torch==2.13.0}
PIP_SRC=()
if [ -n "${WHEELHOUSE:-}" ]; then PIP_SRC=(--no-index --find-links "$WHEELHOUSE"); fi
LOG=${OUT:+$OUT/esm_gpu.log}
LOG=${LOG:-/dev/null}

t0=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then "$PY" -m venv "$VENV"; fi
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_SRC[@]}")

# 1. torch first (the CUDA build here). If the interpreter we started from already has a CUDA torch
#    (rented GPU images often ship one in their own venv), reuse it through a .pth file instead of
#    installing ~3 GB offline; REUSE_TORCH=0 forces the PIP_TORCH_SPEC install.
# 2. esm without its declared deps (torchvision / torchtext are never imported by ESM C and would drag
#    in other torch builds), 3. what ESM C really imports, with torch pinned to the installed version
#    so nothing can swap it.
if [ "${REUSE_TORCH:-1}" = 1 ] && "$PY" -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
    base_site=$("$PY" -c "import torch, pathlib; print(pathlib.Path(torch.__file__).parent.parent)")
    venv_site=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    echo "$base_site" > "$venv_site/_reuse_base_torch.pth"
    echo "# reusing the CUDA torch of $PY ($base_site)" | tee -a "$LOG"
else
    "${PIP[@]}" "$PIP_TORCH_SPEC"
fi
"$VENV/bin/python" -c "import torch; print('torch==' + torch.__version__.split('+')[0])" > "$VENV/torch-pin.txt"
"${PIP[@]}" --no-deps "esm==3.2.1.post1"
"${PIP[@]}" --constraint "$VENV/torch-pin.txt" -r requirements-esm.txt
echo "# install took $(( $(date +%s) - t0 )) s" | tee -a "$LOG"

"$VENV/bin/python" - <<'EOF' | tee -a "$LOG"
import torch
assert torch.cuda.is_available(), "no CUDA device visible to torch " + torch.__version__
print(f"# torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}")
EOF

timeout 300 "$VENV/bin/python" bench/esm_dms.py --device cuda --throughput-only \
    --models tiny,esmc_300m-random --lengths 64,128,256,512 2>&1 | tee -a "$LOG"
echo "# total $(( $(date +%s) - t0 )) s" | tee -a "$LOG"
