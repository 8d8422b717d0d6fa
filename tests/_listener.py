"""A loopback HTTP target that counts connections: what SERVICE and LOAD must never reach unless allowlisted."""

from __future__ import annotations

import socket
import threading

SECRET = "SECRET-INTERNAL-BODY-7f3a"


class Listener:
    """A loopback HTTP target that counts connections and answers 500 with a secret body."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/sparql"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    body = SECRET.encode()
                    conn.sendall(
                        b"HTTP/1.1 500 Internal\r\nContent-Type: text/plain\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\nConnection: close\r\n\r\n"
                        + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        """Stop listening."""
        self._stop = True
        self._thread.join(2)
        self.sock.close()
