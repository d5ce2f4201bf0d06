"""Generate Python gRPC code from proto/ into ./vias/ (not committed; run by scripts/bootstrap)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Compile every .proto file under proto/; returns protoc's exit status."""
    proto_dir = ROOT / "proto"
    files = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    args = [
        "protoc",
        f"-I{proto_dir}",
        f"-I{include}",
        f"--python_out={ROOT}",
        f"--pyi_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        *files,
    ]
    return protoc.main(args)


if __name__ == "__main__":
    sys.exit(main())
