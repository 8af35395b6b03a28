"""`judging serve`: uvicorn with TCP_NODELAY on every worker's connections, however many workers run."""

from __future__ import annotations

import inspect
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class NoDelayConfig(uvicorn.Config):
    """uvicorn's config whose listening socket turns Nagle's algorithm off for every connection.

    With ``--workers N`` uvicorn's supervisor binds the socket and hands it to the workers; uvicorn
    before 0.5x created it with ``proto=0``, and asyncio only sets TCP_NODELAY on accepted sockets
    that report ``IPPROTO_TCP`` (uvicorn issue 3149). A response written in two segments (headers,
    then body) then waited for the client's delayed ACK: ~40 ms per request on a kept-alive
    connection. Here the listener reports TCP whatever uvicorn did, and carries TCP_NODELAY itself,
    which Linux copies to every accepted socket."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if sock.proto != socket.IPPROTO_TCP:
                sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
                sock.set_inheritable(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def _healthcheck() -> dict:
    """A worker that has not answered the supervisor's ping for 5 s is killed and restarted (uvicorn's
    default); starting the app on a loaded 2-core machine takes longer, so allow it 60 s."""
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        return {"timeout_worker_healthcheck": 60}
    return {}


def serve(*, host: str, port: int, workers: int) -> None:
    """Serve ``create_app`` as ``uvicorn.run`` would, through :class:`NoDelayConfig`."""
    config = NoDelayConfig("judging.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                           log_level="info", proxy_headers=True,
                           # Judges' browsers autosave every few seconds: keep their connections open between saves.
                           timeout_keep_alive=30, **_healthcheck())
    if workers > 1:
        sockets = [config.bind_socket()]
        # Older uvicorn asked the supervisor for the function each worker runs; newer ones build it.
        if "target" in inspect.signature(Multiprocess).parameters:
            Multiprocess(config, target=uvicorn.Server(config=config).run, sockets=sockets).run()
        else:
            Multiprocess(config, sockets=sockets).run()
        return
    # One process: uvicorn serves our socket, so it carries TCP_NODELAY too.
    uvicorn.Server(config=config).run(sockets=[config.bind_socket()])
