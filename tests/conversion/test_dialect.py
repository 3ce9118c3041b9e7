"""Delimiter detection from whole lines."""

from __future__ import annotations

import pytest

from csvdrop.conversion.dialect import detect_delimiter

SAMPLES = [
    pytest.param("a,b\n1,2\n", ",", id="comma"),
    pytest.param("event;ts\nok;1700000000\n", ";", id="semicolon"),
    pytest.param("a\tb\n1\t2\n", "\t", id="tab"),
    pytest.param("a|b\n1|2\n", "|", id="pipe"),
    pytest.param("name;price\nx;1,50\ny;2,75\n", ";", id="decimal-commas"),
    pytest.param('a;b\n"1,2,3";x\n', ";", id="commas-quoted"),
    pytest.param("a,b;c\n1,2;3\n4,5;6\n", ",", id="tie-goes-to-comma"),
    pytest.param("title\nhello; world\n", ",", id="one-column"),
    pytest.param("a;b;c\n1;2;3\n4,5\n", ";", id="consistent-wins"),
    pytest.param('a,b\r1,"x\r\ny"\r', ",", id="cr-lines"),
    pytest.param("", ",", id="nothing"),
]


@pytest.mark.parametrize(("head", "delimiter"), SAMPLES)
def test_detect_delimiter_picks_best_split(head: str, delimiter: str) -> None:
    assert detect_delimiter(head) == delimiter


def test_detect_delimiter_tolerates_sample_ending_inside_quotes() -> None:
    head = 'a;b\n1;x\n2;"opened\n'

    assert detect_delimiter(head) == ";"
