"""csvdrop: lossless streaming CSV to JSON conversion into S3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def __getattr__(name: str) -> str:
    """Give ``csvdrop.__version__``, read from the installed distribution.

    Looked up only when asked for, so that ``csvdrop convert`` starts without
    reading package metadata.
    """
    if name == "__version__":
        from importlib.metadata import version

        return version("csvdrop")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the csvdrop web app from its settings and the given overrides."""
    # Imported here so that `csvdrop convert` never pays for Flask and boto3.
    from flask import Flask

    from csvdrop import api, auth, limits, logs, metrics, openapi, problems, web
    from csvdrop import config as settings
    from csvdrop.storage import Storage

    values = settings.load(config)
    logs.configure(str(values["LOG_LEVEL"]))

    app = Flask(__name__)
    app.config.update(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_UPLOAD_BYTES"]
    app.config["MAX_FORM_MEMORY_SIZE"] = values["MAX_FORM_MEMORY_BYTES"]
    app.config["MAX_FORM_PARTS"] = values["MAX_FORM_PARTS"]
    # Flask sorts keys by default; records read better in their own order.
    app.json.sort_keys = False  # type: ignore[attr-defined]

    # Order matters: the request id must exist before auth can refuse a call.
    logs.init_app(app)
    metrics.init_app(app)
    problems.init_app(app)
    limits.init_app(app)
    auth.init_app(app)
    app.extensions[api.STORAGE_EXTENSION] = Storage.from_config(app.config)
    app.register_blueprint(api.bp)
    web.init_app(app)
    openapi.init_app(app)

    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        # Behind nginx the peer is always nginx; the client's address (which
        # the login rate limit counts by) and scheme come from its headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
