"""A raw WebSocket client (RFC 6455) for the worker's bad-input tests: it sends exactly the
bytes a test asks for (fragments that never end, invalid UTF-8, lying lengths, a PROXY header
before the upgrade) and reports the server's frames and close code.  Only the standard library.

    c = WS(port, headers={"X-Forwarded-For": "10.0.0.1"})  # c.status: 101, or 429...
    c.send_text('{"event":"#handshake","cid":1}')
    c.next_text()            # the next text frame that is not a ping ("" is answered with "")
    c.wait_close()           # (code, reason) of the server's close frame; 1006: none, EOF
    handshake(port) -> WS    # a socket that completed #handshake

Contract: every read has a deadline (the `timeout` argument, seconds); nothing here retries.
"""
import base64
import json
import os
import socket
import struct
import time

HS = '{"event":"#handshake","data":{"authToken":null},"cid":1}'


class Closed(Exception):
    pass


class WS:
    def __init__(self, port, path="/socketcluster/", headers=None, prefix=b"", rcvbuf=None,
                 timeout=5.0, host="127.0.0.1", src=None):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if src:  # a source address of 127.0.0.0/8: another client address on loopback
            self.s.bind((src, 0))
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect((host, port))
        self.buf = b""
        self.closed = None
        self.pings = 0
        self.auto_pong = True
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.head = ""
        try:
            self.s.sendall(prefix + ("\r\n".join(lines) + "\r\n\r\n").encode())
        except OSError:
            pass  # the server may have closed already; _read_head tells
        self.status = self._read_head()  # 0: closed without an HTTP answer

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            try:
                chunk = self.s.recv(4096)
            except OSError:
                return 0
            if not chunk:
                return 0
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode(errors="replace")
        return int(self.head.split(" ", 2)[1])

    def close_socket(self):
        try:
            self.s.close()
        except OSError:
            pass

    # ---- sending ----
    def send_frame(self, payload, opcode=1, fin=True, length=None):
        """One masked frame; `length` lies about the payload length when given."""
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload) if length is None else length
        b0 = (0x80 if fin else 0) | opcode
        if n < 126:
            head = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        k = len(payload)
        m = (mask * (k // 4 + 1))[:k]
        body = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(k, "big")
        self.s.sendall(head + mask + body)

    def send_text(self, text):
        self.send_frame(text, 1)

    # ---- receiving ----
    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Closed()
            self.buf += chunk

    def read_frame(self):
        """(opcode, payload bytes) of the next frame; Closed at EOF."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        off = 2
        if n == 126:
            self._need(4)
            n = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            self._need(10)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def next_text(self):
        """The next text frame other than a ping; Closed when the server closes."""
        while True:
            try:
                op, p = self.read_frame()
            except Closed:
                self.closed = self.closed or (1006, "")
                raise
            if op == 8:
                code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
                self.closed = (code, p[2:].decode(errors="replace"))
                raise Closed()
            if op == 9:  # a WebSocket ping: pong it
                self.send_frame(p, 10)
                continue
            if op != 1:
                continue
            if p == b"" or p == b"#1":
                self.pings += 1
                if self.auto_pong:
                    self.send_text("" if p == b"" else "#2")
                continue
            return p.decode()

    def wait_close(self, timeout=5.0):
        """(code, reason) of the server's close frame, (1006, '') for EOF without one."""
        self.s.settimeout(timeout)
        try:
            while True:
                self.next_text()
        except Closed:
            return self.closed
        except (socket.timeout, TimeoutError):
            return None
        except OSError:
            return (1006, "")

    def invoke(self, event, data, cid):
        self.send_text(json.dumps({"event": event, "data": data, "cid": cid},
                                  separators=(",", ":"), ensure_ascii=False))


def handshake(port, **kw):
    c = WS(port, **kw)
    if c.status != 101:
        raise AssertionError(f"upgrade answered {c.status}")
    c.send_text(HS)
    r = json.loads(c.next_text())
    if r.get("rid") != 1 or "id" not in r.get("data", {}):
        raise AssertionError(f"bad #handshake reply {r}")
    return c


def wait_for(pred, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()
