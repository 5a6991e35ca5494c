#!/usr/bin/env python3
"""Holds idle keep-alive TLS connections open, for bench/http/tls.sh.

    python3 idle_tls.py --port PORT --path /healthz --count 1000 --cafile cert.pem

Opens COUNT connections to 127.0.0.1:PORT, each completing a verified TLS 1.3 handshake and one
keep-alive `GET PATH` whose whole response is read, then prints one line

    ready opened=COUNT protocol=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256

and holds them, sending nothing, until SIGUSR1 (or SIGTERM). It then checks without a byte sent
that the server has closed none of them and prints `held=N of COUNT`, and exits. The caller reads
the server's memory between the two lines. Failures go to stderr with exit status 1.
"""

import argparse
import resource
import select
import signal
import socket
import ssl
import sys
import time


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            try:  # root may raise the hard limit too
                resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
                return
            except (ValueError, OSError):
                sys.exit(f"idle_tls: need {needed} descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def read_response(conn):
    """Reads one HTTP/1.1 response (Content-Length or chunked-free bodies); returns its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(16384)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if " 200 " not in status + " ":
        raise ConnectionError(f"answer {status!r}")
    if "content-length" not in headers:
        raise ConnectionError("no Content-Length: cannot keep the connection")
    if headers.get("connection") == "close":
        raise ConnectionError("the server closes the connection after the request")
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = conn.recv(16384)
        if not chunk:
            raise ConnectionError("closed before the body's end")
        body += chunk
    return status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--cafile", required=True, help="the server's (self-signed) certificate")
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    raise_fd_limit(args.count + 64)

    ctx = ssl.create_default_context(cafile=args.cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    request = f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()

    conns = []
    negotiated = {}
    for i in range(args.count):
        try:
            raw = socket.create_connection((args.host, args.port), timeout=10)
            conn = ctx.wrap_socket(raw, server_hostname=args.host)
            conn.sendall(request)
            read_response(conn)
        except (OSError, ConnectionError) as e:
            sys.exit(f"idle_tls: connection {i + 1} of {args.count}: {e}")
        name, version, _ = conn.cipher()
        negotiated[(version, name)] = negotiated.get((version, name), 0) + 1
        conns.append(conn)
    suites = " ".join(f"protocol={v} cipher={c}" + (f" ({n})" if len(negotiated) > 1 else "")
                      for (v, c), n in sorted(negotiated.items()))
    print(f"ready opened={len(conns)} {suites}", flush=True)

    while not stop:
        time.sleep(0.05)

    # A connection the server closed (or wrote to) reads as ready; an idle held one does not.
    poller = select.poll()
    for c in conns:
        poller.register(c.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    ready = poller.poll(0)
    print(f"held={len(conns) - len(ready)} of {len(conns)}", flush=True)
    for c in conns:
        c.close()


if __name__ == "__main__":
    main()
