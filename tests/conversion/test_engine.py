"""The conversion engine through its public interface, one rule per table."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from csvdrop.conversion import (
    ConversionError,
    ConversionOptions,
    ConversionSummary,
    check,
    convert,
    media_type,
)
from csvdrop.conversion.engine import OUTPUT_CHUNK


def converted(data: bytes, **options: str) -> tuple[bytes, ConversionSummary]:
    """Convert ``data`` with ``options`` and return the output and summary."""
    conversion = convert(io.BytesIO(data), ConversionOptions(**options))
    output = b"".join(conversion)
    return output, conversion.summary


def rejection(data: bytes, **options: str) -> ConversionError:
    """Return the error that converting ``data`` raises."""
    with pytest.raises(ConversionError) as caught:
        converted(data, **options)
    return caught.value


def checked_rejection(data: bytes, **options: str) -> ConversionError:
    """Return the error that checking ``data`` raises."""
    with pytest.raises(ConversionError) as caught:
        check(io.BytesIO(data), ConversionOptions(**options))
    return caught.value


class Unseekable:
    """A source that can only be read forward, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(min(size, 1000) if size > 0 else size)


EDGE_CASES = [
    pytest.param(
        b"\xef\xbb\xbfid,city\r\n1,Oslo\r\n",
        {},
        '[{"id":"1","city":"Oslo"}]',
        id="utf8-bom-crlf",
    ),
    pytest.param(
        b"id,city\r1,Oslo\r2,Lima\r",
        {},
        '[{"id":"1","city":"Oslo"},{"id":"2","city":"Lima"}]',
        id="cr-only",
    ),
    pytest.param(
        b"name,phone,name\nAda,555-0100,Lovelace\n",
        {},
        '[{"name":"Ada","phone":"555-0100","name_2":"Lovelace"}]',
        id="repeated-name",
    ),
    pytest.param(
        b"name,,score\nAda,x,9\n",
        {},
        '[{"name":"Ada","column_2":"x","score":"9"}]',
        id="blank-name",
    ),
    pytest.param(
        b"c,c,c,c_2\n1,2,3,4\n",
        {},
        '[{"c":"1","c_3":"2","c_4":"3","c_2":"4"}]',
        id="suffix-never-collides",
    ),
    pytest.param(
        b"zip,code\n02116,007\n",
        {},
        '[{"zip":"02116","code":"007"}]',
        id="leading-zeros-strings",
    ),
    pytest.param(
        b"zip,code\n02116,007\n",
        {"types": "infer"},
        '[{"zip":"02116","code":"007"}]',
        id="leading-zeros-infer",
    ),
    pytest.param(
        b"item,note\n1,caf\xe9 \x96 bar\n",
        {},
        '[{"item":"1","note":"café – bar"}]',
        id="cp1252",
    ),
    pytest.param(b"id,name\n", {}, "[]", id="header-only"),
    pytest.param(b"id,name", {}, "[]", id="header-only-no-line-break"),
    pytest.param(b"id", {"encoding": "utf-8-sig"}, "[]", id="utf-8-sig-without-bom"),
    pytest.param(
        b"id\n1\n", {"encoding": "utf-8-sig"}, '[{"id":"1"}]', id="sig-codec-no-bom"
    ),
    pytest.param(b"id,name\n", {"format": "ndjson"}, "", id="header-only-ndjson"),
    pytest.param(
        b"event;ts\nok;1700000000\n",
        {},
        '[{"event":"ok","ts":"1700000000"}]',
        id="semicolon",
    ),
    pytest.param(
        b'id,note\n1,"first line\nsecond line"\n2,"say ""hi"""\n',
        {},
        '[{"id":"1","note":"first line\\nsecond line"},'
        '{"id":"2","note":"say \\"hi\\""}]',
        id="quoted-break-and-quotes",
    ),
    pytest.param(
        b"\n\na,b\n\n1,2\r\n\r\n3,4\n\n",
        {},
        '[{"a":"1","b":"2"},{"a":"3","b":"4"}]',
        id="blank-lines-skipped",
    ),
    pytest.param(
        b"a,b\n1,2",
        {},
        '[{"a":"1","b":"2"}]',
        id="no-final-line-break",
    ),
    pytest.param(
        b'a,b\n"x,y","line\r\nbreak"\n',
        {},
        '[{"a":"x,y","b":"line\\r\\nbreak"}]',
        id="crlf-kept-inside-quotes",
    ),
    pytest.param(
        b"a,b\n,\n",
        {},
        '[{"a":"","b":""}]',
        id="empty-fields-not-blank",
    ),
    pytest.param(
        b"a,b\n1,2\n3,4\n",
        {"format": "ndjson"},
        '{"a":"1","b":"2"}\n{"a":"3","b":"4"}\n',
        id="ndjson",
    ),
    pytest.param(
        b"a\tb\n1\t2\n",
        {},
        '[{"a":"1","b":"2"}]',
        id="tab",
    ),
    pytest.param(
        b"a|b\n1|2\n",
        {},
        '[{"a":"1","b":"2"}]',
        id="pipe",
    ),
    pytest.param(
        b"a,b;c\n1,2;3\n",
        {"delimiter": ";"},
        '[{"a,b":"1,2","c":"3"}]',
        id="explicit-delimiter",
    ),
    pytest.param(
        b'a,b\n1,x"y\n',
        {},
        '[{"a":"1","b":"x\\"y"}]',
        id="bare-quote-inside-unquoted-field-kept",
    ),
    pytest.param(
        "naïve,城市\n😀,\u2028\n".encode(),
        {},
        '[{"naïve":"😀","城市":"\u2028"}]',
        id="non-ascii-kept-as-utf8",
    ),
    pytest.param(
        b"a,b\n\x01\x1f,\\\n",
        {},
        '[{"a":"\\u0001\\u001f","b":"\\\\"}]',
        id="control-characters-escaped",
    ),
]


@pytest.mark.parametrize(("data", "options", "expected"), EDGE_CASES)
def test_convert_gives_exact_output(
    data: bytes, options: dict[str, str], expected: str
) -> None:
    output, _ = converted(data, **options)

    assert output.decode("utf-8") == expected


@pytest.mark.parametrize(("data", "options", "expected"), EDGE_CASES)
def test_convert_output_round_trips(
    data: bytes, options: dict[str, str], expected: str
) -> None:
    output, summary = converted(data, **options)

    if options.get("format") == "ndjson":
        records = [json.loads(line) for line in output.splitlines()]
    else:
        records = json.loads(output)
    assert len(records) == summary.rows
    assert all(list(record) == summary.columns for record in records)


@pytest.mark.parametrize(("data", "options", "expected"), EDGE_CASES)
def test_check_learns_what_convert_reports(
    data: bytes, options: dict[str, str], expected: str
) -> None:
    source = io.BytesIO(b"junk" + data)
    source.seek(4)
    _, summary = converted(data, **options)

    checked = check(source, ConversionOptions(**options))

    assert source.tell() == 4
    assert (
        checked.rows,
        checked.columns,
        checked.encoding,
        checked.delimiter,
        checked.bytes_in,
        checked.sha256,
    ) == (
        summary.rows,
        summary.columns,
        summary.encoding,
        summary.delimiter,
        summary.bytes_in,
        summary.sha256,
    )


@pytest.mark.parametrize(("data", "options", "expected"), EDGE_CASES)
def test_convert_after_check_gives_the_same_output(
    data: bytes, options: dict[str, str], expected: str
) -> None:
    source = io.BytesIO(data)
    checked = check(source, ConversionOptions(**options))

    conversion = convert(source, ConversionOptions(**options), checked)

    assert b"".join(conversion).decode("utf-8") == expected
    assert conversion.summary == converted(data, **options)[1]


REJECTIONS = [
    pytest.param(b"", "empty-file", 1, id="zero-bytes"),
    pytest.param(b"\xef\xbb\xbf", "empty-file", 1, id="bom-only"),
    pytest.param(b"\n\r\n\n", "empty-file", 1, id="blank-lines-only"),
    pytest.param(b"a,b,c\n1,2,3\n4,5\n", "field-count", 3, id="too-few-fields"),
    pytest.param(b"a,b\n1,2,3\n", "field-count", 2, id="too-many-fields"),
    pytest.param(
        b'a,b\n1,"two\nlines"\n3\n', "field-count", 4, id="line-counts-quoted-breaks"
    ),
    pytest.param(b"a,b\r\r1,2\r3\r", "field-count", 4, id="cr-lines-counted"),
    pytest.param(
        b'a,b\n1,2\n3,"open\nstill open\n', "unclosed-quote", 3, id="unclosed-quote"
    ),
    pytest.param(b'a,b\n1,"x"y\n', "stray-quote", 2, id="after-closing-quote"),
    pytest.param(b'a,b\n1,"x\ny" z\n', "stray-quote", 3, id="stray-on-later-line"),
    pytest.param(b"a,b\n1,2\n3,\x004\n", "binary-data", 3, id="nul-byte"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary-data", 3, id="png"),
]


@pytest.mark.parametrize(("data", "kind", "line"), REJECTIONS)
def test_convert_rejects_fault_naming_its_line(
    data: bytes, kind: str, line: int
) -> None:
    error = rejection(data)

    assert (error.kind, error.line) == (kind, line)
    assert str(error).startswith(f"line {line}: ")
    assert "\n" not in str(error)


@pytest.mark.parametrize(("data", "kind", "line"), REJECTIONS)
def test_check_rejects_what_convert_rejects(data: bytes, kind: str, line: int) -> None:
    error = checked_rejection(data)

    assert (error.kind, error.line, str(error)) == (
        kind,
        line,
        str(rejection(data)),
    )


EXPLICIT_ENCODING_FAULTS = [
    pytest.param(b"a,b\n1,caf\xe9\n", "utf-8", 2, id="latin1-as-utf8"),
    pytest.param(b"a,b\n1,2\n\n3,\xff\n", "ascii", 4, id="high-byte-as-ascii"),
    pytest.param(b"a,b\r\n1,\x81\r\n", "cp1252", 2, id="cp1252-undefined"),
    pytest.param(
        b"\xff\xfea\x00\n\x00\x00\xd8\n\x00", "utf-16", 2, id="lone-surrogate"
    ),
    pytest.param(b"a,b\n1,2\n", "utf-16", 1, id="utf-16-without-bom"),
    pytest.param(b"a,b\n1,2\n", "utf-32", 1, id="utf-32-without-bom"),
]


@pytest.mark.parametrize(("data", "encoding", "line"), EXPLICIT_ENCODING_FAULTS)
def test_convert_rejects_bytes_invalid_in_given_encoding(
    data: bytes, encoding: str, line: int
) -> None:
    error = rejection(data, encoding=encoding)

    assert (error.kind, error.line) == ("undecodable", line)


ENCODINGS = [
    pytest.param("a,b\n1,é\n".encode(), "utf-8", id="utf-8"),
    pytest.param(b"\xef\xbb\xbf" + "a,b\n1,é\n".encode(), "utf-8-sig", id="utf-8-bom"),
    pytest.param("a,b\n1,é\n".encode("utf-16"), "utf-16", id="utf-16-le-bom"),
    pytest.param(
        b"\xfe\xff" + "a,b\n1,é\n".encode("utf-16-be"), "utf-16", id="utf-16-be-bom"
    ),
    pytest.param("a,b\n1,é\n".encode("utf-32"), "utf-32", id="utf-32-bom"),
    pytest.param(
        b"\x00\x00\xfe\xff" + "a,b\n1,é\n".encode("utf-32-be"),
        "utf-32",
        id="utf-32-be-bom",
    ),
    pytest.param("a,b\n1,é\n".encode("cp1252"), "cp1252", id="cp1252"),
    pytest.param("a,b\n1,“é”\n".encode("cp1252"), "cp1252", id="cp1252-quotes"),
    pytest.param("a,b\n1,é\n".encode("mac_roman"), "mac_roman", id="mac-roman"),
    pytest.param(
        "a,b\n1,déjà vu à côté\n".encode("mac_roman"), "mac_roman", id="mac-roman-text"
    ),
]


@pytest.mark.parametrize(("data", "encoding"), ENCODINGS)
def test_convert_detects_and_reports_encoding(data: bytes, encoding: str) -> None:
    output, summary = converted(data)

    assert summary.encoding == encoding
    text = data.decode(encoding)
    assert json.loads(output)[0]["b"] == text.splitlines()[1].split(",")[1]


def test_convert_keeps_every_byte_of_undefined_cp1252_bytes() -> None:
    data = b"a,b\n1,\x81\x8d\x8f\x90\x9d\n"

    output, summary = converted(data)

    assert "\ufffd" not in output.decode("utf-8")
    assert json.loads(output)[0]["b"].encode(summary.encoding) == data[6:11]


def test_convert_decides_encoding_on_a_late_byte() -> None:
    data = b"a,b\n" + b"1,plain ascii\n" * 200_000 + b"2,caf\xe9\n"

    output, summary = converted(data)

    assert summary.encoding == "cp1252"
    assert json.loads(output)[-1] == {"a": "2", "b": "café"}


def test_convert_strips_bom_when_utf8_is_given() -> None:
    output, summary = converted(b"\xef\xbb\xbfid\n1\n", encoding="utf-8")

    assert output == b'[{"id":"1"}]'
    assert summary.encoding == "utf-8-sig"


def test_convert_uses_given_encoding() -> None:
    output, summary = converted("a,b\n1,é\n".encode("latin-1"), encoding="latin-1")

    assert json.loads(output) == [{"a": "1", "b": "é"}]
    assert summary.encoding == "iso8859-1"


def test_convert_reads_unseekable_source() -> None:
    data = b"a;b\n" + b"1;caf\xe9\n" * 5000
    conversion = convert(Unseekable(data), ConversionOptions())  # type: ignore[arg-type]

    records = json.loads(b"".join(conversion))

    assert len(records) == 5000
    assert records[0] == {"a": "1", "b": "café"}
    assert conversion.summary.sha256 == hashlib.sha256(data).hexdigest()


def test_convert_starts_at_source_position() -> None:
    source = io.BytesIO(b"junk\na,b\n1,2\n")
    source.seek(5)

    output = b"".join(convert(source, ConversionOptions()))

    assert output == b'[{"a":"1","b":"2"}]'


def test_convert_summary_describes_conversion() -> None:
    data = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(25))

    output, summary = converted(data, types="infer")

    assert summary.rows == 25
    assert summary.columns == ["id", "name"]
    assert (summary.encoding, summary.delimiter) == ("utf-8", ",")
    assert summary.bytes_in == len(data)
    assert summary.bytes_out == len(output)
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert summary.preview == [{"id": i, "name": f"n{i}"} for i in range(10)]


def test_convert_summary_waits_for_end_of_iteration() -> None:
    conversion = convert(io.BytesIO(b"a\n1\n"), ConversionOptions())

    with pytest.raises(RuntimeError):
        _ = conversion.summary


def test_convert_has_no_field_size_limit() -> None:
    field = "x" * (3 << 20)
    data = f'a,b\n1,"{field}"\n'.encode()

    output, _ = converted(data)

    assert json.loads(output) == [{"a": "1", "b": field}]


@pytest.mark.parametrize("format", ["json", "ndjson"])
def test_convert_yields_chunks_of_at_most_a_mebibyte(format: str) -> None:
    row = '1,ünïcödé,"a, b"\n'
    data = ("a,b,c\n" + row * 150_000 + f'2,"{"y" * (3 << 20)}",z\n').encode()

    chunks = list(convert(io.BytesIO(data), ConversionOptions(format=format)))

    assert len(chunks) > 3
    assert max(len(chunk) for chunk in chunks) <= OUTPUT_CHUNK
    text = b"".join(chunks).decode("utf-8")
    if format == "json":
        assert len(json.loads(text)) == 150_001
    else:
        assert len(text.splitlines()) == 150_001


def test_convert_raises_after_yielding_when_fault_is_late() -> None:
    data = b"a,b\n" + b"1,2\n" * 300_000 + b"3\n"
    chunks: list[bytes] = []

    with pytest.raises(ConversionError) as caught:
        chunks.extend(convert(io.BytesIO(data), ConversionOptions()))

    assert chunks
    assert (caught.value.kind, caught.value.line) == ("field-count", 300_002)


def test_media_type_names_each_format() -> None:
    assert media_type("json") == "application/json"
    assert media_type("ndjson") == "application/x-ndjson"


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
    pytest.param("1e-999", "1e-999", id="underflows-to-zero"),
    pytest.param("4.9e-324", "4.9e-324", id="subnormal"),
    pytest.param("2.2250738585072014e-308", "2.2250738585072014e-308", id="17-digits"),
    pytest.param("2.3e-308", 2.3e-308, id="near-smallest-normal"),
    pytest.param("0.0e-999", 0.0, id="zero-with-exponent"),
    pytest.param("123456789012345.6", "123456789012345.6", id="sixteen-digits"),
    pytest.param("1234567890123.45", 1234567890123.45, id="fifteen-digits"),
    pytest.param("1.50000000000000000000", 1.5, id="trailing-zeros"),
    pytest.param("00501", "00501", id="leading-zeros"),
    pytest.param("007", "007", id="leading-zero"),
    pytest.param("-01", "-01", id="negative-leading-zero"),
    pytest.param("NA", "NA", id="na"),
    pytest.param("1e999", "1e999", id="infinite"),
    pytest.param("-1e999", "-1e999", id="negative-infinite"),
    pytest.param("9007199254740993", "9007199254740993", id="beyond-exact"),
    pytest.param("99999999999999999", "99999999999999999", id="seventeen-digits"),
    pytest.param("9" * 5000, "9" * 5000, id="huge-integer"),
    pytest.param("1." + "5" * 100, "1." + "5" * 100, id="long-decimal"),
    pytest.param("True", "True", id="capitalised-bool"),
    pytest.param("+5", "+5", id="plus-sign"),
    pytest.param(".5", ".5", id="no-integer-part"),
    pytest.param("5.", "5.", id="no-fraction"),
    pytest.param("1e", "1e", id="no-exponent-digits"),
    pytest.param("-", "-", id="minus-only"),
    pytest.param(" 5", " 5", id="space"),
    pytest.param("1,5", "1,5", id="comma-decimal"),
    pytest.param("NaN", "NaN", id="nan"),
    pytest.param("٣", "٣", id="arabic-digit"),
    pytest.param("0x1F", "0x1F", id="hex"),
    pytest.param("null", "null", id="null-word"),
    pytest.param('"5"', '"5"', id="quotes-inside"),
]


def quoted(value: str) -> bytes:
    """Return ``value`` as one quoted CSV field."""
    return b'"' + value.replace('"', '""').encode() + b'"'


@pytest.mark.parametrize(("value", "expected"), INFERRED)
def test_convert_infers_types_by_rule(value: str, expected: object) -> None:
    output, _ = converted(b"v\n" + quoted(value) + b"\n", types="infer")

    inferred = json.loads(output)[0]["v"]
    assert inferred == expected
    assert type(inferred) is type(expected)


@pytest.mark.parametrize(("value", "expected"), INFERRED)
def test_convert_keeps_strings_without_infer(value: str, expected: object) -> None:
    output, _ = converted(b"v\n" + quoted(value) + b"\n")

    assert json.loads(output) == [{"v": value}]


@pytest.mark.parametrize("value", ["1.50", "2.5E+03", "-0.0", "-0"])
def test_convert_writes_inferred_numbers_as_in_the_csv(value: str) -> None:
    output, _ = converted(f"v\n{value}\n".encode(), types="infer")

    assert output == f'[{{"v":{value}}}]'.encode()


def test_convert_reads_header_longer_than_a_feed() -> None:
    name = "h" * (600 << 10)
    data = f"{name},b\n1,2\n".encode()

    output, summary = converted(data)

    assert summary.columns == [name, "b"]
    assert json.loads(output) == [{name: "1", "b": "2"}]


def test_convert_reports_cp1252_for_excel_export() -> None:
    output, summary = converted(b"item,note\n1,caf\xe9 \x96 bar\n")

    assert summary.encoding == "cp1252"
    assert json.loads(output) == [{"item": "1", "note": "café – bar"}]


def test_convert_reports_detected_semicolon() -> None:
    _, summary = converted(b"event;ts\nok;1700000000\n")

    assert summary.delimiter == ";"
