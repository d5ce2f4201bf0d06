"""Generate Python gRPC code from proto/ (the single source) into a directory.

scripts/bootstrap generates into the repository root (./vias/, not committed) for the editable
development install; setup.py's build step generates into the wheel's build directory, so an
installed wheel carries vias/ itself.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(proto_dir: Path, out_dir: Path) -> int:
    """Compile every .proto file under proto_dir into out_dir; returns protoc's exit status."""
    from grpc_tools import protoc  # a build-time tool, imported only when generating

    files = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{proto_dir}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    status: int = protoc.main(args)
    return status


def main() -> int:
    """Generate into the repository root (./vias/), as the editable install expects."""
    return generate(ROOT / "proto", ROOT)


if __name__ == "__main__":
    sys.exit(main())
