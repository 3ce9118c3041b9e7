"""Every setting of the service, its default, and where values come from.

A value is looked up in this order, later sources winning: the default below,
the YAML file named by ``CSVDROP_CONFIG``, the environment variable
``CSVDROP_<NAME>`` (or ``CSVDROP_<NAME>_FILE``, naming a file whose content is
the value, for secrets), and finally the mapping given to ``create_app``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENV_PREFIX = "CSVDROP_"
CONFIG_FILE_VARIABLE = "CSVDROP_CONFIG"

MiB = 1024 * 1024
GiB = 1024 * MiB


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def _text(value: object) -> str:
    return str(value)


def _optional_text(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not a boolean")
    if isinstance(value, int):
        return value
    return int(str(value).strip().replace("_", ""))


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, meaning and how to read a value."""

    name: str
    default: object
    description: str
    parse: Callable[[object], object] = _text
    secret: bool = False

    @property
    def environment_variable(self) -> str:
        """Return the environment variable that overrides this setting."""
        return ENV_PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "S3_ENDPOINT_URL",
        None,
        "URL of the S3 API; empty means AWS's regional endpoint.",
        _optional_text,
    ),
    Setting("S3_REGION", "us-east-1", "Region used to sign S3 requests."),
    Setting("S3_BUCKET", "csvdrop", "Bucket that holds converted uploads."),
    Setting(
        "S3_ACCESS_KEY_ID",
        None,
        "S3 access key; empty uses boto3's usual chain (instance role).",
        _optional_text,
        secret=True,
    ),
    Setting(
        "S3_SECRET_ACCESS_KEY",
        None,
        "S3 secret key, paired with S3_ACCESS_KEY_ID.",
        _optional_text,
        secret=True,
    ),
    Setting(
        "S3_KMS_KEY_ID",
        None,
        "KMS key id or ARN for SSE-KMS; empty means SSE-S3 (AES256).",
        _optional_text,
    ),
    Setting(
        "S3_SERVER_SIDE_ENCRYPTION",
        True,
        "Ask S3 to encrypt objects; only for stores without any SSE support.",
        _boolean,
    ),
    Setting(
        "S3_PART_SIZE",
        8 * MiB,
        "Bytes per multipart part (at least 5 MiB); smaller outputs use one PUT.",
        _integer,
    ),
    Setting(
        "S3_UPLOAD_CONCURRENCY",
        4,
        "Multipart parts a worker sends to S3 at once, shared by its uploads;"
        " it keeps this many plus one part buffers, reused by every upload.",
        _integer,
    ),
    Setting(
        "S3_CONNECT_TIMEOUT",
        5,
        "Seconds to wait for a connection to S3.",
        _integer,
    ),
    Setting(
        "S3_READ_TIMEOUT",
        60,
        "Seconds to wait for an S3 response.",
        _integer,
    ),
    Setting(
        "S3_MAX_ATTEMPTS",
        3,
        "Attempts per S3 call before the upload fails with 503.",
        _integer,
    ),
    Setting(
        "S3_ABORT_SECONDS",
        30,
        "How long a failed upload retries aborting its multipart upload and"
        " releasing its Idempotency-Key.",
        _integer,
    ),
    Setting(
        "IDEMPOTENCY_LEASE_SECONDS",
        3600,
        "Age after which an Idempotency-Key claim with no stored upload is taken"
        " over by a retry; keep it well above the longest upload.",
        _integer,
    ),
    Setting(
        "CONTENT_PRESIGNED",
        False,
        "Answer content requests with a redirect to a presigned S3 URL.",
        _boolean,
    ),
    Setting(
        "PRESIGNED_URL_SECONDS",
        300,
        "Lifetime of a presigned content URL.",
        _integer,
    ),
    Setting(
        "MAX_UPLOAD_BYTES",
        1 * GiB,
        "Largest request body accepted, in bytes (413 above it).",
        _integer,
    ),
    Setting(
        "MAX_FORM_MEMORY_BYTES",
        1 * MiB,
        "Largest non-file form field held in memory, in bytes.",
        _integer,
    ),
    Setting(
        "MAX_FORM_PARTS",
        100,
        "Most parts accepted in one multipart form.",
        _integer,
    ),
    Setting(
        "PAGE_SIZE",
        20,
        "Uploads per page of the list when the caller gives no limit.",
        _integer,
    ),
    Setting(
        "SPOOL_MEMORY_BYTES",
        1 * MiB,
        "Raw request bodies larger than this are spooled to a temporary file.",
        _integer,
    ),
    Setting(
        "LOG_LEVEL",
        "INFO",
        "Lowest level of the JSON log lines written to standard error.",
    ),
    Setting(
        "USERS_FILE",
        None,
        "JSON file of users and password hashes written by 'csvdrop user add'.",
        _optional_text,
    ),
    Setting(
        "TOKEN_SECRET",
        None,
        "Key that signs access tokens (32+ characters, same on every instance).",
        _optional_text,
        secret=True,
    ),
    Setting(
        "ACCESS_TOKEN_MINUTES",
        15,
        "Lifetime of an access token.",
        _integer,
    ),
    Setting(
        "REFRESH_TOKEN_HOURS",
        12,
        "Lifetime of a refresh token.",
        _integer,
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10 per minute",
        "Login attempts allowed per client address (flask-limiter syntax).",
    ),
    Setting(
        "RATE_LIMIT_STORAGE_URI",
        "memory://",
        "Where login attempts are counted; a shared store (redis://) across instances.",
    ),
    Setting(
        "PROXY_COUNT",
        0,
        "Reverse proxies in front whose X-Forwarded-For/-Proto are trusted (nginx: 1).",
        _integer,
    ),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _from_file(path: str) -> dict[str, object]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err}") from err
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    values: dict[str, object] = {}
    for key, value in loaded.items():
        name = str(key).upper()
        if name not in SETTINGS_BY_NAME:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        values[name] = value
    return values


def _from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for setting in SETTINGS:
        variable = setting.environment_variable
        if variable + "_FILE" in environ:
            path = environ[variable + "_FILE"]
            try:
                values[setting.name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as err:
                raise ConfigError(f"{variable}_FILE: cannot read {path}") from err
        if variable in environ:
            values[setting.name] = environ[variable]
    return values


def load(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Return every setting, parsed, from defaults, file, environment, overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {s.name: s.default for s in SETTINGS}
    config_file = environ.get(CONFIG_FILE_VARIABLE)
    if config_file:
        raw.update(_from_file(config_file))
    raw.update(_from_environment(environ))

    extra: dict[str, object] = {}
    for key, value in (overrides or {}).items():
        if key in SETTINGS_BY_NAME:
            raw[key] = value
        else:
            # Flask's own keys (TESTING and friends) pass through untouched.
            extra[key] = value

    parsed: dict[str, object] = {}
    for setting in SETTINGS:
        value = raw[setting.name]
        if value is None or value == setting.default:
            parsed[setting.name] = value
            continue
        try:
            parsed[setting.name] = setting.parse(value)
        except ValueError as err:
            raise ConfigError(f"setting {setting.name}: {err}") from err
    _check(parsed)
    parsed.update(extra)
    return parsed


def _check(values: Mapping[str, object]) -> None:
    part_size = values["S3_PART_SIZE"]
    if not isinstance(part_size, int) or part_size < 5 * MiB:
        raise ConfigError("setting S3_PART_SIZE: S3 needs parts of at least 5 MiB")
    for name in (
        "S3_UPLOAD_CONCURRENCY",
        "MAX_UPLOAD_BYTES",
        "MAX_FORM_MEMORY_BYTES",
        "MAX_FORM_PARTS",
        "IDEMPOTENCY_LEASE_SECONDS",
    ):
        value = values[name]
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"setting {name}: must be a positive whole number")
    page_size = values["PAGE_SIZE"]
    if not isinstance(page_size, int) or not 1 <= page_size <= 1000:
        raise ConfigError("setting PAGE_SIZE: must be between 1 and 1000")


def _show_default(setting: Setting) -> str:
    if setting.default is None:
        return "(none)"
    if isinstance(setting.default, bool):
        return "true" if setting.default else "false"
    if isinstance(setting.default, int) and setting.default >= MiB:
        unit, size = ("GiB", GiB) if setting.default % GiB == 0 else ("MiB", MiB)
        return f"{setting.default} ({setting.default // size} {unit})"
    return str(setting.default)


def settings_table() -> str:
    """Return the Markdown table of every setting that the README shows."""
    lines = [
        "| setting | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS:
        lines.append(
            f"| `{setting.name}` | `{setting.environment_variable}` |"
            f" `{_show_default(setting)}` | {setting.description} |"
        )
    return "\n".join(lines) + "\n"
