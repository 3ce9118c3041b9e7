"""Request limits, each refused with a message that names the limit hit.

Werkzeug enforces three limits and raises the same bare 413 for each: the
body size (``MAX_CONTENT_LENGTH``), the size of one text field held in memory
(``MAX_FORM_MEMORY_SIZE``) and the number of parts (``MAX_FORM_PARTS``). A
client told "too large" about a 600 kB text field would look for the wrong
cause, so the form parser here works out which limit it was.
"""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, Request, Response, current_app
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property

from csvdrop import problems
from csvdrop.problems import Problem


def describe_bytes(count: int) -> str:
    """Return a byte count the way people read it, with the exact figure."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            amount = count / size
            shown = f"{amount:.0f}" if amount == int(amount) else f"{amount:.1f}"
            return f"{shown} {unit} ({count} bytes)"
    return f"{count} bytes"


def too_large() -> Problem:
    """Return the problem for a body larger than the upload limit."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    return Problem(
        413,
        "upload-too-large",
        "Upload too large",
        f"the request body is larger than the upload limit of {describe_bytes(limit)}",
        limit=limit,
    )


class _PartCounter:
    """A read-only stream that counts the multipart boundaries it passes on."""

    def __init__(self, stream: IO[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._delimiter = b"--" + boundary
        self._tail = b""
        self.parts = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        window = self._tail + data
        self.parts += window.count(self._delimiter)
        # Keep a delimiter's length minus one, so one split across two reads
        # is counted once.
        keep = len(self._delimiter) - 1
        self._tail = window[-keep:] if keep else b""
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class LimitedFormDataParser(FormDataParser):
    """Parse forms like Werkzeug, saying which limit a refused form broke."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        boundary = options.get("boundary", "").encode("ascii", "replace")
        counter = _PartCounter(stream, boundary)
        try:
            return super()._parse_multipart(
                counter,  # type: ignore[arg-type]
                mimetype,
                content_length,
                options,
            )
        except RequestEntityTooLarge as err:
            # The closing delimiter is counted too, hence parts - 1 parts.
            if self.max_form_parts is not None and counter.parts - 1 > (
                self.max_form_parts
            ):
                problem = Problem(
                    413,
                    "too-many-form-parts",
                    "Too many form parts",
                    f"the form has more than {self.max_form_parts} parts; send"
                    " the file in field 'file' and at most the four options",
                    limit=self.max_form_parts,
                )
            else:
                memory = int(self.max_form_memory_size or 0)
                problem = Problem(
                    413,
                    "form-field-too-large",
                    "Form field too large",
                    "a text field of the form is larger than the"
                    f" {describe_bytes(memory)} kept in memory for text fields;"
                    " a CSV must be sent as a file part (curl -F file=@data.csv)"
                    " or as a text/csv body, which only the upload limit bounds",
                    limit=memory,
                )
            err.csvdrop_problem = problem  # type: ignore[attr-defined]
            raise


def body_incomplete(received: int, expected: int | None) -> Problem:
    """Return the problem for a request body that ended before its end."""
    if expected is None:
        # The server reads chunks ahead of the app, so the bytes the app got
        # are not the bytes that arrived: the count would mislead.
        return Problem(
            400,
            "body-incomplete",
            "Request body incomplete",
            "the chunked request body ended before its last chunk;"
            " nothing was stored, send the whole file again",
        )
    return Problem(
        400,
        "body-incomplete",
        "Request body incomplete",
        f"the request body ended after {received} of {expected} bytes;"
        " nothing was stored, send the whole file again",
        received=received,
        expected=expected,
    )


class _WholeBody:
    """A request body stream that refuses to end before the client said.

    Gunicorn hands over a body cut short by the client (closed or shut
    down before Content-Length bytes, or before the last chunk) as if it had
    simply ended; converted as it is, the cut file would be stored as a
    success. This turns such an end into a body-incomplete problem.

    Given ``limit``, the stream is the server's own input, which ends where
    the body does (``wsgi.input_terminated``), and this enforces the upload
    limit as Werkzeug's LimitedStream would: reading past it raises
    RequestEntityTooLarge. Reading the server's input directly matters for
    large uploads: LimitedStream reads through io.RawIOBase, which fills a
    fresh buffer with zeros and copies every piece twice more, and that took
    three times as long as receiving the body itself.
    """

    def __init__(
        self, stream: IO[bytes], expected: int | None, limit: int | None = None
    ) -> None:
        self._stream = stream
        self._expected = expected
        self._limit = limit
        self.received = 0

    def _checked(self, read: Any, size: int) -> bytes:
        if self._limit is not None:
            left = self._limit - self.received
            if size < 0 or size > left:
                # One byte more than the limit allows tells a body that is
                # too large from one that ends exactly at the limit.
                size = left + 1
        try:
            data: bytes = read(size)
        except ClientDisconnected as err:
            raise body_incomplete(self.received, self._expected) from err
        except HTTPException:
            raise
        except (OSError, ValueError) as err:
            # What a server raises for a cut chunked body (gunicorn: an
            # OSError) when Werkzeug has not wrapped the stream already.
            raise body_incomplete(self.received, self._expected) from err
        self.received += len(data)
        if self._limit is not None and self.received > self._limit:
            raise RequestEntityTooLarge()
        if not data and size != 0 and self._expected is not None:
            if self.received < self._expected:
                raise body_incomplete(self.received, self._expected)
        return data

    def read(self, size: int = -1) -> bytes:
        """Read up to size bytes, refusing a body cut short."""
        return self._checked(self._stream.read, size)

    def readline(self, size: int = -1) -> bytes:
        """Read one line, refusing a body cut short."""
        return self._checked(self._stream.readline, size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class UploadRequest(Request):
    """Flask's request that names the limit it enforced and refuses cut bodies."""

    form_data_parser_class = LimitedFormDataParser

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body stream, refusing to end before the whole body arrived."""
        length = self.content_length
        limit = self.max_content_length
        if "wsgi.input_terminated" in self.environ and limit is not None:
            if length is not None and length > limit:
                raise RequestEntityTooLarge()
            direct = _WholeBody(self.environ["wsgi.input"], length, limit)
            return direct  # type: ignore[return-value]
        whole = _WholeBody(super().stream, length)
        return whole  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Make the app parse forms with limit-aware messages and answer 413s."""
    app.request_class = UploadRequest

    @app.errorhandler(RequestEntityTooLarge)
    def refuse_too_large(err: RequestEntityTooLarge) -> Response:
        problem = getattr(err, "csvdrop_problem", None)
        return problems.response(
            problem if isinstance(problem, Problem) else too_large()
        )
