"""Where the dashboard finds its configuration, and the ``policies.yml`` editor: validate an upload with the same
pydantic models the jobs use, then save it, keeping the previous version beside it."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from lakehouse_inv.config import ConfigError, _deep_merge, _read_yaml, load_config, parse_model
from lakehouse_inv.optimize.config import PoliciesConfig
from lakehouse_inv.pipeline.configs import CONFIG_MODELS, _model, cross_file_problems, load_configs
from lakehouse_inv.resources import default_conf_dir

POLICIES_FILE = "policies.yml"


@dataclass(frozen=True)
class Settings:
    """The configuration folder and overlay the dashboard (and the runs it launches) use."""

    conf_dir: Path
    env: str | None

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(default_conf_dir().resolve(), os.environ.get("LAKEHOUSE_INV_ENV") or None)

    @property
    def policies_path(self) -> Path:
        return self.conf_dir / "base" / POLICIES_FILE

    def load(self) -> dict:
        """All validated configuration (raises ConfigError naming file and field)."""
        return load_configs(self.conf_dir, self.env)


def validate_policies(text: str | bytes, settings: Settings) -> PoliciesConfig:
    """The uploaded ``policies.yml`` as the jobs would see it (environment overlay merged), or ConfigError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{POLICIES_FILE}: not UTF-8 text ({exc})") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{POLICIES_FILE}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{POLICIES_FILE}: expected a mapping at the top level, got {type(data).__name__}")
    for overlay_env in filter(None, (e.strip() for e in (settings.env or "").split(","))):
        overlay = settings.conf_dir / overlay_env / POLICIES_FILE
        if overlay.exists():
            data = _deep_merge(data, _read_yaml(overlay))
    policies = parse_model(PoliciesConfig, data, POLICIES_FILE)
    # the other files as they are (not the current policies.yml, which may be the broken file being replaced)
    others = {
        name: load_config(_model(target), name, settings.conf_dir, settings.env)
        for name, target in CONFIG_MODELS.items()
        if name != "policies"
    }
    problems = cross_file_problems({**others, "policies": policies})
    if problems:
        raise ConfigError("\n".join(problems))
    return policies


def save_policies(text: str | bytes, settings: Settings, now: dt.datetime | None = None) -> tuple[PoliciesConfig, Path]:
    """Validate, keep the current file as ``policies.yml.<UTC time>.bak``, then write the new one.

    Nothing is written when the upload is invalid. Returns the new configuration and the backup's path.
    """
    policies = validate_policies(text, settings)
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    target = settings.policies_path
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%f")
    backup = target.with_name(f"{target.name}.{stamp}.bak")
    backup.write_bytes(target.read_bytes())
    temporary = target.with_name(f".{target.name}.uploading")
    temporary.write_bytes(raw)
    temporary.replace(target)  # atomic: a run starting now reads the old or the new file, never half of one
    return policies, backup
