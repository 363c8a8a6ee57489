"""The `gatecore` command (also `python -m gatecore`): demo, bench and check. main.py parses arguments only."""
from __future__ import annotations

import importlib


def require(module: str, extra: str = "cli"):
    """Import an optional dependency, or stop with a message saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise SystemExit(f"gatecore: this command needs {module.split('.')[0]} ({e}); "
                         f"install it with: pip install 'gatecore[{extra}]'") from e
