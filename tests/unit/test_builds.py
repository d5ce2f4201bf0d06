"""Reproducible builds: the image's base by digest, installs only from the hashed locks, the locks
consistent with each other and with pyproject.toml (scripts/lock.py)."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCKS = ROOT / "requirements"
DIGEST = re.compile(r"^[^\s@]+:[^\s@]+@sha256:[0-9a-f]{64}$")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)")


@cache
def lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock", ROOT / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    return [i.strip() for i in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if i.strip()]


def parse_lock(path: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(name, version) -> the hashes of each pinned requirement of a lock."""
    entries: dict[tuple[str, str], set[str]] = {}
    current: tuple[str, str] | None = None
    for line in path.read_text().splitlines():
        pin = PIN.match(line)
        if pin:
            current = (pin["name"].lower(), pin["version"])
            entries.setdefault(current, set())
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            entries[current].add(line.strip().removeprefix("--hash=").rstrip(" \\"))
    return {key: frozenset(hashes) for key, hashes in entries.items()}


def test_every_base_image_is_pinned_by_digest_with_its_tag() -> None:
    instructions = dockerfile_instructions()
    args = dict(
        i.removeprefix("ARG ").split("=", 1)
        for i in instructions
        if i.startswith("ARG ") and "=" in i
    )
    stages: set[str] = set()
    froms = [i.split() for i in instructions if i.startswith("FROM ")]
    assert froms
    for _, image, *alias in froms:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image)
        if resolved not in stages:
            assert DIGEST.match(resolved), f"FROM {image} is not pinned by digest: {resolved}"
        stages.update(alias[1:] if alias[:1] == ["AS"] else [])


def test_the_image_installs_only_from_the_hashed_locks_and_the_built_wheel() -> None:
    installs = [
        part.strip()
        for i in dockerfile_instructions()
        if i.startswith("RUN ")
        for part in i.removeprefix("RUN ").split("&&")
        if re.search(r"\bpip install\b", part)
    ]
    assert installs
    locks = {"requirements/runtime.lock", "requirements/build.lock"}
    used = set()
    for install in installs:
        words = install.split()
        if "--require-hashes" in words:
            used.add(words[words.index("-r") + 1])
        else:
            assert "--no-deps" in words and words[-1].startswith("/wheels/"), install
    assert used == locks
    assert all((ROOT / lock).is_file() for lock in locks)
    assert not any("site-packages" in i or "purelib" in i for i in dockerfile_instructions())


def test_runtime_and_build_locks_pin_the_same_files_as_the_dev_lock() -> None:
    dev = parse_lock(LOCKS / "dev.lock")
    assert dev and all(dev.values()), "every requirement of dev.lock carries hashes"
    for name in ("runtime.lock", "build.lock"):
        lock = parse_lock(LOCKS / name)
        assert lock
        for key, hashes in lock.items():
            assert dev.get(key) == hashes, f"{name}: {key} differs from dev.lock"


def test_the_build_requirements_are_exact_pins_found_in_the_locks() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    build = parse_lock(LOCKS / "build.lock")
    for requirement in requires:
        pin = PIN.match(requirement)
        assert pin, f"{requirement} is not pinned with =="
        assert (pin["name"].lower(), pin["version"]) in build


def test_the_lock_check_notices_a_changed_dependency_list_and_nothing_else(
    tmp_path: Path,
) -> None:
    inputs_hash = lock_script().inputs_hash
    original = (ROOT / "pyproject.toml").read_text()
    copy = tmp_path / "pyproject.toml"
    copy.write_text(original + "\n[tool.vias-unrelated]\nsetting = 1\n")
    assert inputs_hash(copy) == inputs_hash(ROOT / "pyproject.toml")
    copy.write_text(original.replace("dependencies = [\n", 'dependencies = [\n    "six",\n', 1))
    assert inputs_hash(copy) != inputs_hash(ROOT / "pyproject.toml")


def test_the_committed_locks_were_made_from_this_pyproject() -> None:
    assert lock_script().stale_locks() == []
