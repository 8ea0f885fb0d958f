"""A socket.io client as the widget is one, for the tests and the soak: it records what the
server sends and closes without waiting for the server.

Over the polling transport a client always has one long-poll request pending; on
`disconnect()` python-engineio waits for that request to return, which Rasa's socket.io
server only answers at its next ping, up to 25 s later. A browser aborts the request
instead; `close()` does the same (the socket.io and engine.io close packets are still sent).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import socketio

RECORDED = ("session_confirm", "session_refused", "bot_uttered")


class _ClosedClientsWriteLoop(logging.Filter):
    """The write loop of a client closed without waiting ends at its own timeout (up to 30 s
    later) with the error « packet queue is empty, aborting »: the client is gone and nothing
    was lost, so that one line is dropped; any other engine.io error is still shown."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "packet queue is empty, aborting"


logging.getLogger("engineio.client").addFilter(_ClosedClientsWriteLoop())


def close_without_waiting(sio: socketio.Client) -> None:
    """Disconnect like a browser closing its tab: say goodbye, do not wait for the long poll."""
    with contextlib.suppress(Exception):
        for namespace in sio.namespaces:
            sio._send_packet(sio.packet_class(socketio.packet.DISCONNECT, namespace=namespace))
        sio.eio.disconnect(abort=True)


class SocketClient:
    """A socket.io client on the polling transport, recording the events it receives."""

    def __init__(self, url: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self.events: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in RECORDED:
            self.sio.on(name, self._recorder(name))
        self.sio.connect(url, transports=["polling"], wait_timeout=timeout)

    def _recorder(self, name: str):
        def record(data=None):
            with self.changed:
                self.events.append((name, data))
                self.changed.notify_all()

        return record

    def wait_for(self, name: str, count: int = 1) -> list:
        """The data of the first `count` events called `name`, waiting for them."""
        deadline = time.monotonic() + self.timeout
        with self.changed:
            while True:
                found = [data for event, data in self.events if event == name]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"pas de « {name} » : {self.events}"
                self.changed.wait(left)

    def names(self) -> list[str]:
        with self.changed:
            return [event for event, _ in self.events]

    def emit(self, event: str, data: dict) -> None:
        self.sio.emit(event, data)

    def close(self) -> None:
        close_without_waiting(self.sio)
