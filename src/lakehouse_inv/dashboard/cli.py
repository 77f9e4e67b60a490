"""``lakehouse-inv dashboard``: start the web dashboard (Streamlit) on the local warehouse.

lakehouse-inv dashboard [--host 127.0.0.1] [--port 8501] [--conf-dir conf] [--env demo] [--password-file F]

With a password (``--password-file`` or ``$LAKEHOUSE_INV_DASHBOARD_PASSWORD``) every browser session first gets a
password page (:mod:`.login`); without one the dashboard binds to a loopback address only, since its Configuration
and Run pages change what the jobs do.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lakehouse_inv.access import AccessError, check_exposure, read_password, salted_hash
from lakehouse_inv.config import ConfigError
from lakehouse_inv.dashboard.login import HASH_ENV, PASSWORD_ENV
from lakehouse_inv.dashboard.settings import Settings

APP = Path(__file__).with_name("app.py")


def streamlit_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakehouse-inv dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; others need a password)"
    )
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/ (default: ./conf)")
    parser.add_argument("--env", help="configuration overlay folder under --conf-dir")
    parser.add_argument(
        "--password-file", type=Path, help=f"file whose first line is the password (or set ${PASSWORD_ENV})"
    )
    args = parser.parse_args(argv)
    try:
        password = read_password(args.password_file, PASSWORD_ENV)
        check_exposure(args.host, password, env_name=PASSWORD_ENV, what="the dashboard")
    except AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("streamlit") is None:
        print("error: the dashboard needs its extra: pip install -e '.[dashboard]' (make does)", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)  # the app (and the runs it launches) get a salted hash, not the password
    env.pop(HASH_ENV, None)
    if password is not None:
        env[HASH_ENV] = salted_hash(password)
    if args.conf_dir is not None:
        env["LAKEHOUSE_INV_CONF"] = str(args.conf_dir.resolve())
    if args.env:
        env["LAKEHOUSE_INV_ENV"] = args.env
    os.environ.update(env)
    try:  # the dashboard still starts: its Configuration page is where a broken policies.yml gets replaced
        Settings.from_environment().load()
    except ConfigError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    command = streamlit_command(args.host, args.port)
    login = "password page first" if password is not None else "no password: this machine only"
    print(f"lakehouse_inv dashboard on http://{args.host}:{args.port}  ({login}; Ctrl-C stops it)", flush=True)
    os.execve(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
