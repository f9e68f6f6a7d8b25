"""Start the review app with uvicorn, on the loopback address unless told otherwise."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import uvicorn

from .app import create_app, guarded


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db: Path, host: str, port: int, reviewer: str, allow_remote: bool = False) -> None:
    if not is_loopback(host):
        if not allow_remote:
            print(
                f"error: {host} is not this machine's loopback address; the review app has no login,"
                " so give --allow-remote to listen there",
                file=sys.stderr,
            )
            raise SystemExit(2)
        print(
            f"warning: listening on {host}: anyone who can reach this address can see the documents"
            " and change the inventory (there is no login)",
            file=sys.stderr,
        )
    hosts = ["127.0.0.1", "localhost", "[::1]", host]
    app = guarded(create_app(db, reviewer), hosts)
    shown = f"[{host}]" if ":" in host else host
    print(f"csminer review: http://{shown}:{port}/queue  (Ctrl-C stops; every decision is saved at once)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
