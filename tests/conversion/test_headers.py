"""Header names turned into distinct record keys."""

from __future__ import annotations

import json

import pytest

from csvdrop.conversion.headers import json_string, record_keys

HEADERS = [
    pytest.param(["id", "city"], ["id", "city"], id="kept"),
    pytest.param(["name", "phone", "name"], ["name", "phone", "name_2"], id="repeat"),
    pytest.param(["a", "a", "a"], ["a", "a_2", "a_3"], id="repeats"),
    pytest.param(["name", "", "score"], ["name", "column_2", "score"], id="blank"),
    pytest.param(["", "  ", ""], ["column_1", "column_2", "column_3"], id="all-blank"),
    pytest.param(["c", "c", "c", "c_2"], ["c", "c_3", "c_4", "c_2"], id="no-collision"),
    pytest.param(["column_2", ""], ["column_2", "column_2_2"], id="blank-collides"),
    pytest.param(["x_2", "x", "x"], ["x_2", "x", "x_3"], id="earlier-suffix"),
    pytest.param(["A", "a"], ["A", "a"], id="case-distinct"),
    pytest.param([" a ", "a"], [" a ", "a"], id="spaces-kept"),
]


@pytest.mark.parametrize(("header", "keys"), HEADERS)
def test_record_keys_renames_only_blank_and_repeated(
    header: list[str], keys: list[str]
) -> None:
    assert record_keys(header) == keys


def test_record_keys_are_distinct_for_adversarial_header() -> None:
    header = ["a", "a_2", "a", "a_3", "", "column_5", "a", "a_2"]

    keys = record_keys(header)

    assert len(set(keys)) == len(header)
    assert keys[:2] == ["a", "a_2"]


def test_record_keys_number_a_name_repeated_many_times_in_order() -> None:
    # 20,000 repeats: a search from _2 for every repeat took 20 s here.
    header = ["x", "x_3", *["x"] * 19_999]

    keys = record_keys(header)

    assert keys[:4] == ["x", "x_3", "x_2", "x_4"]
    assert keys[-1] == "x_20001"
    assert len(set(keys)) == len(header)


@pytest.mark.parametrize(
    "name", ["", "plain", 'say "hi"', "back\\slash", "tab\there", "é😀", "\x00\x1f"]
)
def test_json_string_round_trips(name: str) -> None:
    assert json.loads(json_string(name)) == name
