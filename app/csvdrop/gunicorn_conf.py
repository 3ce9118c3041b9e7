"""Gunicorn settings for csvdrop, shared by `make run` and the Ansible role.

Use it as ``gunicorn -c python:csvdrop.gunicorn_conf``. The environment picks
the socket and the pool size; everything else is chosen for large uploads:

- ``gthread`` workers: a request runs in a thread while the worker's main
  loop keeps sending its heartbeat, so an upload that takes minutes to
  arrive and convert is never mistaken for a hung worker. A ``sync`` worker
  blocks its only thread on the upload, misses the heartbeat and is killed
  at ``timeout`` in the middle of the upload.
- ``timeout`` only bounds a worker whose main loop is stuck, not a request.
- ``graceful_timeout`` lets uploads in flight finish when a deploy restarts
  the service, before the worker is stopped.
- The request-head limits are at least nginx's defaults (a request line and
  each header line in one 8 KiB buffer), so behind nginx every oversized
  head is refused by nginx, whose error pages can be JSON. Gunicorn refuses
  what passes them with its own HTML page, which the app cannot reword.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import tempfile
from typing import Any

from csvdrop.logs import logging_config

bind = os.environ.get("CSVDROP_BIND", "127.0.0.1:8000")
wsgi_app = "csvdrop:create_app()"

worker_class = "gthread"
workers = int(os.environ.get("CSVDROP_WORKERS", "2"))
threads = int(os.environ.get("CSVDROP_THREADS", "8"))

timeout = 60
# The longest app URL is a few hundred bytes; 8190 is gunicorn's maximum and
# matches the 8 KiB request line nginx accepts (above it: 414).
limit_request_line = 8190
# One header line (name, colon, value) up to 8 KiB, as nginx; a bearer token
# is under 1 KiB (above it: 431).
limit_request_field_size = 8190
# Browsers send about 20 headers and nginx adds five (above it: 431).
limit_request_fields = 100
graceful_timeout = 300
keepalive = 30
# The heartbeat file lives in memory, so a slow disk cannot stall it; it is
# gunicorn's own file in a directory only gunicorn writes here.
_SHARED_MEMORY = "/dev/shm"  # noqa: S108  # nosec B108
worker_tmp_dir = _SHARED_MEMORY if os.path.isdir(_SHARED_MEMORY) else None

# Requests are logged by the app as JSON lines with their request id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("CSVDROP_LOG_LEVEL", "info").lower()
logconfig_dict = logging_config(loglevel.upper())
# Configuring gunicorn's loggers clears the plain-text handlers it adds, so
# its own lines reach the JSON handler on the root logger instead.
logconfig_dict["loggers"].update(
    {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": [],
            "propagate": True,
        },
        # A log config makes gunicorn write access lines even without
        # accesslog; the app's own request line already says it all.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    }
)
# No control socket: it would be written under the service user's home.
control_socket_disable = True

# Several worker processes share the metrics through files in one directory.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="csvdrop-metrics-")


# glibc's malloc gives a buffer above its mmap threshold a mapping of its
# own, returned to the system when freed; but each such free raises the
# threshold to that buffer's size, after which the 8 MiB part buffers come
# from the heaps of the worker's threads and stay resident (a worker grew to
# 180 MiB after four concurrent uploads). A fixed threshold above the 1 MiB
# pieces the body and the conversion move in, which the heap reuses cheaply,
# and below the part size keeps a worker near what its uploads hold (about
# 120 MiB, see docs/benchmarks.md). Set in the master, before the workers
# fork.
#
# Fixing the mmap threshold also fixes the trim threshold, at 128 KiB: every
# freed body piece then handed the top of its thread's heap back to the
# kernel, and the next piece took fresh zeroed pages again (receiving a
# 210 MB upload took 0.5 s instead of 0.3 s). Twice the mmap threshold is
# the ratio glibc keeps when it adjusts both itself. Each thread's own heap
# (glibc makes up to eight per core) may then keep that much free; with the
# threads of four concurrent uploads a worker grew to 180 MiB. One heap for
# all threads keeps it under 150 MiB: the threads spend their time in
# system calls and C loops, not in malloc, so they hardly wait for it.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
ARENA_MAX = 1


if platform.libc_ver()[0] == "glibc":
    _libc = ctypes.CDLL(None)
    _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    _libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    _libc.mallopt(_M_ARENA_MAX, ARENA_MAX)


def pre_fork(server: Any, worker: Any) -> None:
    """Let the worker about to be forked import csvdrop from disk afresh.

    The master imported this settings module, and with it the ``csvdrop``
    package, which a forked worker would otherwise inherit: after a new
    release is installed, a reload (SIGHUP) would start workers running the
    old code. Forgotten here, the package is imported again by each new
    worker, and by the reload's own reading of these settings.
    """
    for name in [name for name in sys.modules if name.partition(".")[0] == "csvdrop"]:
        del sys.modules[name]


def child_exit(server: Any, worker: Any) -> None:
    """Drop the metrics of a worker that exited, so its gauges do not linger."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
