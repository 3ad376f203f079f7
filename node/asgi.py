"""An ASGI app factory for process managers: `uvicorn --factory node.asgi:app_from_env`.

It reads the node's home from `ARCHIPEL_HOME`; `archipel serve --workers N` uses it so each
worker process builds its own app (and its own database pool).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from node.app import create_app
from node.settings import load_settings


def app_from_env() -> FastAPI:
    return create_app(load_settings(Path(os.environ.get("ARCHIPEL_HOME", "var/node"))))
