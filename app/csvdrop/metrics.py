"""Prometheus metrics for requests and uploads, served at /metrics."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from csvdrop.auth import public
from csvdrop.openapi import operation

EXTENSION = "csvdrop.metrics"


class Metrics:
    """The app's collectors, each in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "csvdrop_http_requests",
            "HTTP requests answered, by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "csvdrop_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
            registry=self.registry,
        )
        self.uploads = Counter(
            "csvdrop_uploads",
            "Uploads by outcome: stored, rejected (bad CSV) or failed (storage).",
            ["outcome"],
            registry=self.registry,
        )
        self.bytes_in = Counter(
            "csvdrop_upload_bytes_in",
            "CSV bytes converted and stored.",
            registry=self.registry,
        )
        self.bytes_out = Counter(
            "csvdrop_upload_bytes_out",
            "JSON bytes stored.",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """Return the metrics in Prometheus text format."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            # Under several gunicorn workers each process writes its own
            # files; the scrape sums them so no worker's counts are missed.
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


def get() -> Metrics:
    """Return the metrics of the current app."""
    metrics: Metrics = current_app.extensions[EXTENSION]
    return metrics


def init_app(app: Flask) -> None:
    """Count and time every request and serve /metrics."""
    metrics = Metrics()
    app.extensions[EXTENSION] = metrics

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(request.method, route, response.status_code).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
        return response

    @public
    @operation(
        get={
            "summary": "Prometheus metrics (not exposed by nginx)",
            "tags": ["probes"],
            "security": [],
            "responses": {
                200: {"description": "metrics", "content": {CONTENT_TYPE_LATEST: {}}}
            },
        }
    )
    def serve_metrics() -> Response:
        return Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", serve_metrics, methods=["GET"])
