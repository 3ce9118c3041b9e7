"""JSON log lines carrying the request id and the user, and request timing."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

# gunicorn's master loads this module for its log settings; Flask is left to
# the workers, so that a reload on a new release imports a new Flask too
# (see gunicorn_conf.pre_fork).
if TYPE_CHECKING:
    from flask import Flask, Response

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName"}

_configured = False


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestContextFilter(logging.Filter):
    """Add the current request's id and user to every record logged inside it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach request_id and user when a request is being served."""
        # No request can be served where Flask was never imported.
        flask = sys.modules.get("flask")
        if flask is not None and flask.has_request_context():
            record.request_id = flask.g.get("request_id")
            record.user = flask.g.get("csvdrop_username")
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """Return the dictConfig that writes JSON lines to standard error."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContextFilter}},
        "formatters": {"json": {"()": JSONFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # botocore logs credentials-adjacent detail at DEBUG; keep it quiet.
            "botocore": {"level": "WARNING"},
            "boto3": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "werkzeug": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO") -> None:
    """Configure logging once per process, before the first app is built."""
    global _configured
    if _configured:
        return
    logging.config.dictConfig(logging_config(level))
    _configured = True


def init_app(app: Flask) -> None:
    """Give each request an id, echo it back and log the request when done."""
    from flask import g, request

    @app.before_request
    def assign_request_id() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = (
            offered if _CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex
        )
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = (
            round((time.perf_counter() - started) * 1000, 1) if started else None
        )
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "bytes_sent": response.content_length,
            },
        )
        return response
