"""Values as JSON text under each typing mode."""

from __future__ import annotations

import json

import pytest

from csvdrop.conversion.values import inferred_json, json_string

INFERRED = [
    pytest.param("", None, id="empty-null"),
    pytest.param("true", True, id="true"),
    pytest.param("false", False, id="false"),
    pytest.param("0", 0, id="zero"),
    pytest.param("42", 42, id="integer"),
    pytest.param("-7", -7, id="negative"),
    pytest.param("9007199254740991", 2**53 - 1, id="largest-exact"),
    pytest.param("-9007199254740991", -(2**53 - 1), id="smallest-exact"),
    pytest.param("1.5", 1.5, id="decimal"),
    pytest.param("-0.25", -0.25, id="negative-decimal"),
    pytest.param("2.5e3", 2500.0, id="exponent"),
    pytest.param("00501", "00501", id="leading-zeros"),
    pytest.param("007", "007", id="leading-zero"),
    pytest.param("NA", "NA", id="na"),
    pytest.param("1e999", "1e999", id="infinite"),
    pytest.param("9007199254740993", "9007199254740993", id="beyond-exact"),
    pytest.param("9" * 5000, "9" * 5000, id="huge-integer"),
    pytest.param("True", "True", id="capitalised-bool"),
    pytest.param("+5", "+5", id="plus-sign"),
    pytest.param(".5", ".5", id="no-integer-part"),
    pytest.param("5.", "5.", id="no-fraction"),
    pytest.param(" 5", " 5", id="space"),
    pytest.param("1,5", "1,5", id="comma-decimal"),
    pytest.param("NaN", "NaN", id="nan"),
    pytest.param("٣", "٣", id="arabic-digit"),
    pytest.param("0x1F", "0x1F", id="hex"),
    pytest.param("null", "null", id="null-word"),
]


@pytest.mark.parametrize(("value", "expected"), INFERRED)
def test_inferred_json_follows_infer_rules(value: str, expected: object) -> None:
    text = inferred_json(value)

    assert json.loads(text) == expected
    assert type(json.loads(text)) is type(expected)


@pytest.mark.parametrize("value", ["1.50", "2.5E+03", "-0.0"])
def test_inferred_json_writes_numbers_as_in_the_csv(value: str) -> None:
    assert inferred_json(value) == value


@pytest.mark.parametrize(
    "value", ["", "plain", 'say "hi"', "back\\slash", "tab\there", "é😀", "\x00\x1f"]
)
def test_json_string_round_trips(value: str) -> None:
    assert json.loads(json_string(value)) == value
