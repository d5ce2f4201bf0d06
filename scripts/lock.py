"""The hashed dependency locks in requirements/, made from pyproject.toml with uv.

  dev.lock      what scripts/bootstrap installs: the runtime dependencies, the `embedded` and
                `dev` extras and the wheel's build requirements ([build-system].requires)
  runtime.lock  what the image installs (deploy/Dockerfile): [project].dependencies only
  build.lock    what builds the wheel in the image: [build-system].requires

dev.lock is resolved first; the other two are resolved with it as constraints, so a package has
the same version in every lock. Each lock's first line holds a hash of the dependency lists it
was made from; `--check` compares it with pyproject.toml (offline, instant). Existing pins are
kept unless `--upgrade` or `--upgrade-package NAME` is passed (they go to uv).

Usage: scripts/lock [--upgrade | --upgrade-package NAME ...]    (needs PyPI)
       .venv/bin/python scripts/lock.py --check
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCKS = ROOT / "requirements"
DEV, RUNTIME, BUILD = (LOCKS / name for name in ("dev.lock", "runtime.lock", "build.lock"))
HEADER = "# inputs-sha256: "
# The Python every lock is resolved for (the image's; universal markers cover newer ones too).
PYTHON_VERSION = "3.11"
INDEX_URL = "https://pypi.org/simple"
# Part of the inputs' hash, so a change of how the locks are made also asks for a new lock.
COMPILE_OPTIONS = (
    "--universal",
    "--python-version",
    PYTHON_VERSION,
    "--generate-hashes",
    "--index-url",
    INDEX_URL,
)


def inputs_hash(pyproject: Path = PYPROJECT) -> str:
    """The sha256 of everything in pyproject.toml a lock depends on, and of how it is made."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-requires": data["build-system"]["requires"],
        "options": COMPILE_OPTIONS,
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stale_locks(pyproject: Path = PYPROJECT) -> list[str]:
    """The locks that are missing or were made from other dependency lists than pyproject's."""
    wanted = HEADER + inputs_hash(pyproject)
    stale = []
    for lock in (DEV, RUNTIME, BUILD):
        first = lock.read_text(encoding="utf-8").partition("\n")[0] if lock.exists() else ""
        if first != wanted:
            stale.append(str(lock.relative_to(ROOT)))
    return stale


def _uv() -> str:
    local = ROOT / ".venv" / "bin" / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        sys.exit("lock: uv not found; run scripts/bootstrap (it installs uv from dev.lock)")
    return found


def _compile(sources: list[str], output: Path, stdin: str, extra: list[str]) -> None:
    command = [
        _uv(),
        "pip",
        "compile",
        *sources,
        *COMPILE_OPTIONS,
        "--custom-compile-command",
        "scripts/lock",
        "--quiet",
        "--output-file",
        str(output.relative_to(ROOT)),
        *extra,
    ]
    env = {**os.environ, "UV_NO_CONFIG": "1"}
    subprocess.run(command, cwd=ROOT, input=stdin, text=True, check=True, env=env)
    text = output.read_text(encoding="utf-8")
    output.write_text(f"{HEADER}{inputs_hash()}\n{text}", encoding="utf-8")


def lock(uv_args: list[str]) -> None:
    """Resolve dev.lock, then runtime.lock and build.lock constrained to it."""
    LOCKS.mkdir(exist_ok=True)
    build_requires = "\n".join(tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"])
    constrained = ["--constraint", str(DEV.relative_to(ROOT))]
    _compile(["pyproject.toml", "-", "--extra", "dev"], DEV, build_requires, uv_args)
    _compile(["pyproject.toml", *constrained], RUNTIME, "", uv_args)
    _compile(["-", *constrained], BUILD, build_requires, uv_args)


def main() -> int:
    """Make the locks, or with --check say whether they match pyproject.toml."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a lock is out of date")
    args, uv_args = parser.parse_known_args()
    if args.check:
        stale = stale_locks()
        if stale:
            print(
                f"lock: {', '.join(stale)} out of date with pyproject.toml; run scripts/lock",
                file=sys.stderr,
            )
            return 1
        return 0
    lock(uv_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
