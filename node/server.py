"""The process `archipel serve` becomes: the node's app under uvicorn, without the command line.

`archipel serve` checks the settings and migrates the database, then replaces itself with
`python -m node.server` (`os.execv`: same process id, same signals, same output). The
serving process so never holds what only the command line needs: typer, every
administration command and what it imports, Alembic (2 MB of resident memory; 5 MB with the
`UNUSED` modules below, which the command line pulls in).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Optional imports that libraries attempt when the package is installed, and that no serving
# process uses; each library has its fallback for an `ImportError`, which an entry of None in
# `sys.modules` raises.
UNUSED = (
    # httpx's command-line client, with click's prompts, rich and pygments (~4 MB).
    "httpx._main",
    # Pydantic 1 compatibility, which FastAPI imports only to check that a model is not a
    # Pydantic 1 model (~1.5 MB); Archipel has none.
    "pydantic.v1",
    # uvicorn's `--reload` watcher (~0.7 MB); uvicorn falls back to polling, unused here.
    "watchfiles",
)


def leave_out_unused() -> None:
    """Keep the `UNUSED` modules from loading in this process (call before importing them)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


if __name__ in ("__main__", "__mp_main__"):
    # The serving process, or one of uvicorn's spawned workers (which import this module
    # first, as their `__mp_main__`): before anything imports httpx, Pydantic or uvicorn.
    leave_out_unused()


def command(home: Path, *, host: str | None, port: int | None, workers: int) -> list[str]:
    """The argv that starts this module for `home` with the same interpreter."""
    # -P: the working directory is not put on the import path (a stray module there must not
    # shadow a package of the server).
    argv = [sys.executable, "-P", "-m", "node.server", "--home", str(home)]
    argv += ["--workers", str(workers)]
    if host is not None:
        argv += ["--host", host]
    if port is not None:
        argv += ["--port", str(port)]
    return argv


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="node.server", description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    import uvicorn

    from node.settings import load_settings

    settings = load_settings(args.home)
    options = {
        "host": args.host or settings.server.host,
        "port": args.port or settings.server.port,
        "log_level": "info",
        "proxy_headers": True,
        "forwarded_allow_ips": settings.server.forwarded_allow_ips,
        # The standard asyncio loop: uvloop holds 3.3 MB more resident memory, and the node's
        # requests spend their time in the database (worker threads), not in the loop.
        "loop": "asyncio",
        # No route is a WebSocket: uvicorn need not load a WebSocket implementation (0.7 MB).
        "ws": "none",
    }
    if args.workers == 1:
        from node.app import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Each worker builds its own app (and database pool) from the home; none schedules.
    os.environ["ARCHIPEL_HOME"] = str(args.home.resolve())
    os.environ["ARCHIPEL_FEDERATION__ENABLED"] = "false"
    uvicorn.run("node.asgi:app_from_env", factory=True, workers=args.workers, **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
