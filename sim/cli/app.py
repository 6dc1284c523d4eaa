"""``python -m sim app [--config CONFIG] [--port N]``: the workshop app on http://127.0.0.1:N/.

Serves the Solara page ``sim.app.page`` with uvicorn on the loopback address only. Solara's
browser assets come from the ``solara-assets`` package (no CDN), and its usage telemetry is
switched off before Solara is imported. A bad config or a busy port is one line and exit 2.
"""

from __future__ import annotations

import argparse
import os
import socket
import warnings
from pathlib import Path

from sim.core.errors import InputError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
CONFIG_ENV = "QYSIM_APP_CONFIG"  # read by sim.app.page


def port_value(text: str) -> int:
    """``--port``: an integer from 1024 to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1024 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer from 1024 to 65535 (got {text!r})")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``app``."""
    parser.add_argument("--config", type=Path, default=None,
                        help="scenario TOML to open first (default: the built-in baseline; the "
                        "shipped configs/ are always offered)")
    parser.add_argument("--port", type=port_value, default=DEFAULT_PORT, metavar="1024..65535",
                        help=f"port on {HOST} (default: {DEFAULT_PORT})")


def check_port(port: int) -> None:
    """Fail with one line if ``port`` is taken on the loopback address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            raise InputError(f"port {port} on {HOST} is in use (allowed: a free port, 1024-65535)",
                             source="--port", key="port") from None


def main(args: argparse.Namespace) -> int:
    """Check the config and the port, then serve until interrupted."""
    from sim.scenario import load_config

    if args.config is not None:
        load_config(args.config)  # a bad file fails here, before the server starts
        os.environ[CONFIG_ENV] = str(args.config.resolve())
    check_port(args.port)
    os.environ["SOLARA_APP"] = "sim.app.page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    import matplotlib

    matplotlib.use("Agg")
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    import uvicorn
    from solara.server.starlette import app

    print(f"清远市基础教育仿真 Qingyuan app: http://{HOST}:{args.port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=HOST, port=args.port, log_level="warning")
    return 0
