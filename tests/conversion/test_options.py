"""Options are checked when they are built."""

from __future__ import annotations

import pytest

from csvdrop.conversion import ConversionError, ConversionOptions, media_type

INVALID = [
    pytest.param({"format": "xml"}, id="format"),
    pytest.param({"types": "guess"}, id="types"),
    pytest.param({"delimiter": ";;"}, id="long-delimiter"),
    pytest.param({"delimiter": '"'}, id="quote-delimiter"),
    pytest.param({"delimiter": "\n"}, id="newline-delimiter"),
    pytest.param({"encoding": "klingon"}, id="unknown-encoding"),
    pytest.param({"encoding": "rot13"}, id="not-text-encoding"),
    pytest.param({"encoding": "base64"}, id="bytes-codec"),
    pytest.param({"encoding": "idna"}, id="label-codec"),
    pytest.param({"encoding": "punycode"}, id="punycode"),
]


@pytest.mark.parametrize("options", INVALID)
def test_options_reject_invalid_value(options: dict[str, str]) -> None:
    with pytest.raises(ConversionError) as caught:
        ConversionOptions(**options)

    assert caught.value.kind == "invalid-option"
    assert caught.value.line is None


NORMALISED = [
    pytest.param({"delimiter": "tab"}, "delimiter", "\t", id="tab-name"),
    pytest.param({"delimiter": "\\t"}, "delimiter", "\t", id="tab-escape"),
    pytest.param({"delimiter": ""}, "delimiter", None, id="empty-detects"),
    pytest.param({"encoding": "latin1"}, "encoding", "iso8859-1", id="codec-name"),
    pytest.param({"encoding": "UTF8"}, "encoding", "utf-8", id="utf8-alias"),
    pytest.param({"encoding": ""}, "encoding", None, id="empty-encoding"),
]


@pytest.mark.parametrize(("options", "field", "value"), NORMALISED)
def test_options_normalise_values(
    options: dict[str, str], field: str, value: str | None
) -> None:
    assert getattr(ConversionOptions(**options), field) == value


def test_media_type_rejects_unknown_format() -> None:
    with pytest.raises(ConversionError):
        media_type("xml")


def test_options_reject_non_ascii_delimiter() -> None:
    with pytest.raises(ConversionError):
        ConversionOptions(delimiter="§")
