"""`judging serve`: kept-alive connections answer without Nagle's delay, and the handler pool is as large
as the database pool."""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from urllib.parse import urlsplit

from judging.web.serving import NoDelayConfig


def test_the_listening_socket_is_tcp_with_nodelay_for_every_accepted_connection():
    config = NoDelayConfig("judging.web.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    try:
        listener.listen()
        assert listener.proto == socket.IPPROTO_TCP
        with socket.create_connection(listener.getsockname()[:2]):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()


def _pair_ms(connection: http.client.HTTPConnection) -> float:
    """Two requests one after the other on the same kept-alive connection."""
    started = time.perf_counter()
    for path in ("/login", "/healthz"):
        connection.request("GET", path, headers={"Accept": "text/html"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and not response.will_close
    return (time.perf_counter() - started) * 1000


def test_two_workers_answer_back_to_back_requests_on_one_connection_without_delay(served, demo, db_url, tmp_path):
    process, base = served.start(db_url, tmp_path / "var", workers=2)
    try:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        _pair_ms(connection)  # the first pair warms the worker's templates and the pool
        pairs = [_pair_ms(connection) for _ in range(15)]
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    # Nagle's algorithm against the client's delayed ACK costs ~40 ms per request; a median over
    # 15 pairs of two requests stays far below that on a loaded machine when TCP_NODELAY is on.
    assert statistics.median(pairs) < 10, pairs


def test_sync_handlers_get_one_thread_per_database_connection(client):
    assert client.app.state.handler_threads == client.app.state.engine.pool.size() + \
        client.app.state.engine.pool._max_overflow
