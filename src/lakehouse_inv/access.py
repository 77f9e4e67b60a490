"""Who may reach a server this project starts (``serve-sql``, ``dashboard``): a password from a file or an
environment variable (never the command line, where ``ps`` shows it to every user of the machine), or, without
one, a loopback address only. No Spark or Streamlit here: both servers check this before they start."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path


class AccessError(ValueError):
    """The password or the address to bind is not acceptable; the message says why."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


def read_password(password_file: Path | None, env_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The password from ``password_file`` (its first line) or ``$env_name``; None: neither is given."""
    environ = os.environ if environ is None else environ
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise AccessError(f"--password-file {password_file}: {exc.strerror}") from exc
        password = text.splitlines()[0] if text.strip() else ""
        if not password:
            raise AccessError(f"--password-file {password_file}: the file is empty")
        return password
    password = environ.get(env_name)
    if password is not None and not password:
        raise AccessError(f"${env_name} is set but empty")
    return password


def check_exposure(host: str, password: str | None, *, env_name: str, what: str) -> None:
    """Without a password only a loopback address may be bound: anyone who reaches the port gets in."""
    if password is None and not is_loopback(host):
        raise AccessError(
            f"--host {host} without a password would let anyone who reaches this machine in: set ${env_name} or "
            f"--password-file, or keep the default 127.0.0.1 (a loopback address) for {what}"
        )


def password_hash(password: str, salt: str) -> str:
    """SHA-256 of the salt and the password, hex: what a server keeps instead of the password."""
    return hashlib.sha256((salt + password).encode("utf-8")).hexdigest()


def salted_hash(password: str) -> str:
    """``salt:hash`` for :func:`matches`, with a fresh random salt."""
    salt = secrets.token_hex(16)
    return f"{salt}:{password_hash(password, salt)}"


def matches(password: str, salted: str) -> bool:
    """Whether ``password`` is the one ``salted`` (from :func:`salted_hash`) was made from; constant time."""
    salt, _, expected = salted.partition(":")
    return hmac.compare_digest(password_hash(password, salt), expected)
