"""Settings: defaults, then the YAML file, then the environment, then overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csvdrop import config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_load_defaults_cover_every_setting() -> None:
    values = config.load(environ={})

    assert {name: values[name] for name in config.SETTINGS_BY_NAME} == {
        setting.name: setting.default for setting in config.SETTINGS
    }


def test_load_later_sources_win(tmp_path: Path) -> None:
    config_file = tmp_path / "csvdrop.yaml"
    config_file.write_text("s3_bucket: from-file\ns3_region: eu-west-1\npage_size: 7\n")
    environ = {
        "CSVDROP_CONFIG": str(config_file),
        "CSVDROP_S3_REGION": "eu-north-1",
        "CSVDROP_PAGE_SIZE": "9",
    }

    values = config.load({"PAGE_SIZE": 11}, environ=environ)

    assert values["S3_BUCKET"] == "from-file"
    assert values["S3_REGION"] == "eu-north-1"
    assert values["PAGE_SIZE"] == 11


def test_load_reads_secrets_from_files(tmp_path: Path) -> None:
    value = "value-from-a-file"
    secret = tmp_path / "secret"
    secret.write_text(value + "\n")

    values = config.load(environ={"CSVDROP_S3_SECRET_ACCESS_KEY_FILE": str(secret)})

    assert values["S3_SECRET_ACCESS_KEY"] == value


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CSVDROP_PAGE_SIZE": "many"}, "PAGE_SIZE"),
        ({"CSVDROP_PAGE_SIZE": "0"}, "PAGE_SIZE"),
        ({"CSVDROP_S3_PART_SIZE": "1048576"}, "at least 5 MiB"),
        ({"CSVDROP_CONTENT_PRESIGNED": "maybe"}, "true or false"),
        ({"CSVDROP_MAX_UPLOAD_BYTES": "-1"}, "MAX_UPLOAD_BYTES"),
        ({"CSVDROP_S3_SECRET_ACCESS_KEY_FILE": "/nonexistent/secret"}, "cannot read"),
    ],
)
def test_load_bad_value_names_the_setting(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(environ=environ)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s3_bukket: typo\n", "unknown setting 's3_bukket'"),
        ("- a list\n", "must hold a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
    ],
)
def test_load_bad_config_file_says_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    config_file = tmp_path / "csvdrop.yaml"
    config_file.write_text(text)

    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(environ={"CSVDROP_CONFIG": str(config_file)})


def test_settings_table_is_the_readme_settings_section() -> None:
    readme = README.read_text(encoding="utf-8")

    assert config.settings_table() in readme
