"""Locate the project's public contract folders (``bronze/ silver/ gold/``) and ``conf/``.

From a checkout they sit at the repository root; in an installed wheel (Databricks) they are packaged
under ``lakehouse_inv/_project``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "_project"


@cache
def project_root() -> Path:
    """The folder holding ``bronze/``, ``silver/``, ``gold/`` and ``conf/``."""
    override = os.environ.get("LAKEHOUSE_INV_PROJECT_ROOT")
    if override:
        return Path(override)
    if (_PACKAGED / "silver").is_dir():
        return _PACKAGED
    for parent in Path(__file__).resolve().parents:
        if (parent / "silver").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    raise FileNotFoundError("cannot find the project's bronze/ silver/ gold/ folders; set LAKEHOUSE_INV_PROJECT_ROOT")


def layer_dir(layer: str) -> Path:
    return project_root() / layer


def default_conf_dir() -> Path:
    """``$LAKEHOUSE_INV_CONF`` if set, else ``./conf`` when present, else the project's (or wheel's) conf."""
    override = os.environ.get("LAKEHOUSE_INV_CONF")
    if override:
        return Path(override)
    if Path("conf/base").is_dir():
        return Path("conf")
    return project_root() / "conf"
