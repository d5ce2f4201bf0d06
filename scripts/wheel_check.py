"""Build the project's wheel as the image does and check it carries the generated gRPC code.

The wheel must hold, for every proto/vias/<service>/v1/<name>.proto, the modules <name>_pb2 and
<name>_pb2_grpc (setup.py's build step), and every service's main module; unpacked alone on
sys.path (not the repository's ./vias/), both import. Run by scripts/check (a few seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def expected_members() -> set[str]:
    """The files the wheel must contain: generated modules per proto, each service's main."""
    members = set()
    for proto in (ROOT / "proto").rglob("*.proto"):
        stem = proto.relative_to(ROOT / "proto").with_suffix("").as_posix()
        members |= {f"{stem}_pb2.py", f"{stem}_pb2_grpc.py"}
    for main in (ROOT / "services").glob("*/main.py"):
        members.add(main.relative_to(ROOT).as_posix())
    return members


def build_wheel(out_dir: Path) -> Path:
    """`pip wheel .` without dependencies or build isolation (the build requirements are locked)."""
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "--wheel-dir", str(out_dir), str(ROOT)], check=True)
    (wheel,) = out_dir.glob("vias-*.whl")
    return wheel


def imports_from(unpacked: Path, modules: list[str]) -> list[str]:
    """The modules that do not import from the unpacked wheel (empty when all do)."""
    probe = (
        "import importlib, sys\n"
        "for name in sys.argv[2:]:\n"
        "    path = importlib.import_module(name).__file__ or ''\n"
        "    if not path.startswith(sys.argv[1]):\n"
        "        print(name, path)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(unpacked), *modules],
        cwd=unpacked,
        env={**os.environ, "PYTHONPATH": str(unpacked)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def main() -> int:
    """Build, list and import; non-zero with the reason when the wheel lacks something."""
    with tempfile.TemporaryDirectory(prefix="vias-wheel-") as tmp:
        wheel = build_wheel(Path(tmp) / "dist")
        with zipfile.ZipFile(wheel) as archive:
            missing = sorted(expected_members() - set(archive.namelist()))
            if missing:
                print(f"wheel_check: {wheel.name} lacks {', '.join(missing)}", file=sys.stderr)
                return 1
            unpacked = Path(tmp) / "unpacked"
            archive.extractall(unpacked)
        services = sorted(p.parent.name for p in (ROOT / "services").glob("*/main.py"))
        modules = ["vias.intake.v1.intake_pb2_grpc"] + [f"services.{s}.main" for s in services]
        elsewhere = imports_from(unpacked, modules)
        if elsewhere:
            print(f"wheel_check: not imported from the wheel: {elsewhere}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
