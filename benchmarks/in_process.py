"""An app served in a thread of the benchmark's own process, and the percentiles the page benchmarks print.

Not a benchmark itself (`make bench` skips it).
"""

from __future__ import annotations

import socket
import statistics
import threading
import time

import uvicorn


def serve_in_thread(app, port: int) -> uvicorn.Server:
    """``app`` served on 127.0.0.1:``port`` by uvicorn in a daemon thread, once it accepts connections."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) of ``samples``."""
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return q[49], q[94], ordered[-1]
