"""Local SMTP servers for mail tests, on loopback ports: a sink that records, and a server that hangs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message


class Sink:
    """Records every message it accepts (aiosmtpd, in its own thread)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def outbox_ids(self) -> list[int]:
        with self._lock:
            return [int(m["X-Matchmaker-Outbox-Id"]) for m in self.messages]


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@contextmanager
def hanging_smtp_server(*, answer_until_data: bool = False) -> Iterator[int]:
    """Accepts connections and never answers (or, with answer_until_data, hangs after the message data)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    connections: list[socket.socket] = []

    def converse(connection: socket.socket) -> None:
        connection.settimeout(0.2)
        replies = {b"EHLO": b"250 hello\r\n", b"HELO": b"250 hello\r\n", b"MAIL": b"250 ok\r\n",
                   b"RCPT": b"250 ok\r\n", b"DATA": b"354 go on\r\n", b"RSET": b"250 ok\r\n"}
        connection.sendall(b"220 hanging ESMTP\r\n")
        buffer = b""
        in_data = False
        while not stop.is_set():
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            if in_data:
                continue  # swallow the message and never say 250
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                verb = line[:4].upper()
                connection.sendall(replies.get(verb, b"250 ok\r\n"))
                if verb == b"DATA":
                    in_data = True
                    break

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(connection)
            if answer_until_data:
                threading.Thread(target=converse, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in connections:
            connection.close()
        listener.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
