"""Entry point of `python -m services.platform`."""

from services.platform.launcher import main

if __name__ == "__main__":
    raise SystemExit(main())
