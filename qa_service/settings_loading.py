"""How `Settings` are declared, read from the environment and checked (the fields are in settings.py).

A field is declared with its section's helper, `_index(default, help, choices=..., between=..., env=...)`, which
keeps the description, the allowed values and the environment variable(s) next to the default.
"""
from __future__ import annotations

import os
from dataclasses import MISSING, Field, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping


# The settings each chat-tool channel needs, all of them (qa_service/channels/).
CHANNEL_SECRETS = {
    "wecom": ("wecom_corp_id", "wecom_token", "wecom_encoding_aes_key", "wecom_secret"),
    "dingtalk": ("dingtalk_app_secret",),
    "feishu": ("feishu_app_id", "feishu_app_secret", "feishu_verification_token", "feishu_encrypt_key"),
}


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the variable."""


def section(title: str) -> Callable[..., Any]:
    """The field helper of one section of the settings."""

    def declare(default: Any, help: str, *, choices: tuple[str, ...] | None = None,
                between: tuple[float, float] | None = None, env: tuple[str, ...] = ()) -> Any:
        return field(default=default, metadata={"section": title, "help": help, "choices": choices,
                                                 "between": between, "env": env})

    return declare


def env_names(f: Field) -> tuple[str, ...]:
    """The variables a field is read from, first match wins: QA_<NAME> unless the field names others."""
    return f.metadata.get("env") or ("QA_" + f.name.upper(),)


def variable(f: Field) -> str:
    return env_names(f)[0]


def load(cls: type, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(cls):
        raw = next((environ[n] for n in env_names(f) if environ.get(n)), None)
        if raw is not None:
            values[f.name] = _coerce(variable(f), raw, type(f.default if f.default is not MISSING else ""))
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values.get("embedding_backend") == "torch" and "embedding_precision" not in values:
        values["embedding_precision"] = "fp32"  # the default int8 is the openvino backend's
    settings = cls(**values)
    settings.validate()
    return settings


def validate(settings: Any) -> None:
    for f in fields(settings):
        value, name = getattr(settings, f.name), variable(f)
        choices, between = f.metadata.get("choices"), f.metadata.get("between")
        if choices and value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        if between and not between[0] <= value <= between[1]:
            raise SettingsError(f"{name} must be between {between[0]} and {between[1]}")
    if settings.embedding_backend == "torch" and settings.embedding_precision != "fp32":
        raise SettingsError("QA_EMBEDDING_PRECISION=int8 needs QA_EMBEDDING_BACKEND=openvino "
                            "(the torch backend runs fp32 only)")
    if settings.vector_store == "milvus" and not settings.milvus_uri.startswith(("http://", "https://")) \
            and not settings.milvus_uri.endswith(".db"):
        raise SettingsError("QA_MILVUS_URI must be a local file ending in .db (Milvus Lite) or "
                            "http(s)://host:port (a Milvus server)")
    if not 0 <= settings.chunk_overlap_tokens < settings.chunk_tokens:
        raise SettingsError("QA_CHUNK_OVERLAP_TOKENS must be >= 0 and smaller than QA_CHUNK_TOKENS")
    _check_channels(settings)


def _check_channels(settings: Any) -> None:
    """A channel with some of its secrets set is a mistake to say at start, not a channel silently off."""
    for name, required in CHANNEL_SECRETS.items():
        missing = [f"QA_{f.upper()}" for f in required if not getattr(settings, f)]
        if missing and len(missing) < len(required):
            raise SettingsError(f"the {name} channel is half configured: set {', '.join(missing)} too, or unset "
                                f"its other QA_{name.upper()}_* secrets")
    key = settings.wecom_encoding_aes_key
    if key and (len(key) != 43 or not all(c.isascii() and (c.isalnum() or c in "+/") for c in key)):
        raise SettingsError("QA_WECOM_ENCODING_AES_KEY must be the 43 characters the WeCom console shows")
    for name in ("wecom_api_base", "dingtalk_api_base", "feishu_api_base"):
        if not getattr(settings, name).startswith(("https://", "http://")):
            raise SettingsError(f"QA_{name.upper()} must be an http(s) URL")


def _coerce(name: str, raw: str, kind: type) -> Any:
    try:
        if kind is Path or issubclass(kind, Path):
            return Path(os.path.expanduser(raw))
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return raw
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {kind.__name__}") from exc
