"""Build step: the wheel carries the gRPC code generated from proto/ (vias/...).

pyproject.toml holds the project's metadata; this file only extends setuptools' build_py so that
`pip wheel .` / `python -m build` run protoc (grpcio-tools, pinned in [build-system].requires)
into the build directory. The editable development install skips it: scripts/bootstrap generates
./vias/ at the repository root instead.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_protos", HERE / "scripts" / "gen_protos.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("scripts/gen_protos.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithProtos(build_py):
    """setuptools' build_py, then protoc into the build directory (not for editable installs)."""

    def run(self) -> None:
        if self.editable_mode:
            super().run()
            return
        build_lib = Path(self.build_lib)
        shutil.rmtree(build_lib, ignore_errors=True)  # nothing stale from an earlier build
        super().run()
        status = _generator().generate(HERE / "proto", build_lib)
        if status != 0:
            raise RuntimeError(f"protoc failed with exit status {status}")


setup(cmdclass={"build_py": BuildPyWithProtos})
