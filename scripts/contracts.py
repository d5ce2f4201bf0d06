"""The machine-readable contracts: `generate` writes docs/asyncapi.yaml and docs/contracts/ from
services/contracts, `check` (run by scripts/check) fails when they are stale, invalid or broken.

Usage: .venv/bin/python scripts/contracts.py generate|check [--docs DIR]
"""

from __future__ import annotations

from services.platform.contract_docs import main

if __name__ == "__main__":
    raise SystemExit(main())
