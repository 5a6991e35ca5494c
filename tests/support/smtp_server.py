#!/usr/bin/python3
"""A real SMTP server on loopback for the mail tests: Debian's python3-aiosmtpd.

  smtp_server.py --dir DIR --port PORT --cert PEM --key KEY [--implicit-tls]
                 [--auth USER:PASSWORD] [--defer N] [--reject] [--no-starttls]

STARTTLS is offered and required before MAIL (or, with --implicit-tls, TLS from the first byte).
--auth: AUTH PLAIN and LOGIN offered (only under TLS) and required. --defer N: the first N
messages are answered 451 (try later); --reject: every message is answered 550. --no-starttls:
STARTTLS is not offered (a server a client must refuse to talk to in clear).
Each accepted message is written to DIR/NNNNNN.eml, its envelope to DIR/NNNNNN.json; DIR/ready
appears once the server listens; DIR/events.log gets a line per refusal.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth", default="")
    ap.add_argument("--defer", type=int, default=0)
    ap.add_argument("--reject", action="store_true")
    ap.add_argument("--no-starttls", action="store_true")
    args = ap.parse_args()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    lock = threading.Lock()
    state = {"received": 0, "deferred": 0}

    def event(line):
        with lock, open(os.path.join(args.dir, "events.log"), "a") as f:
            f.write(line + "\n")

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if args.reject:
                event("rejected")
                return "550 5.7.1 Refused by the test server"
            with lock:
                if state["deferred"] < args.defer:
                    state["deferred"] += 1
                    deferred = True
                else:
                    deferred = False
                    state["received"] += 1
                    n = state["received"]
            if deferred:
                event("deferred")
                return "451 4.3.0 Try again later"
            base = os.path.join(args.dir, f"{n:06d}")
            with open(base + ".eml.part", "wb") as f:
                f.write(envelope.original_content)
            with open(base + ".json", "w") as f:
                auth = getattr(session, "auth_data", None)
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                           "tls": server.transport.get_extra_info("ssl_object") is not None,
                           "login": auth.login.decode() if isinstance(auth, LoginPassword)
                           else None}, f)
            os.rename(base + ".eml.part", base + ".eml")
            return "250 2.0.0 Accepted"

    user, _, password = args.auth.partition(":")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        if not ok:
            event("auth-failed")
        return AuthResult(success=ok, auth_data=auth_data if ok else None)

    class Controlled(Controller):
        def factory(self):
            params = dict(hostname="localhost", ident="carehub test SMTP")
            if not args.implicit_tls and not args.no_starttls:
                params.update(tls_context=tls, require_starttls=True)
            if args.auth:
                params.update(authenticator=authenticator, auth_required=True,
                              auth_require_tls=True)
            return SMTP(self.handler, **params)

    extra = {"ssl_context": tls} if args.implicit_tls else {}
    controller = Controlled(Handler(), hostname="127.0.0.1", port=args.port,
                            server_hostname="localhost", ready_timeout=10, **extra)
    try:
        controller.start()
    except Exception as e:  # the implicit-TLS self-check may fail: the server listens anyway
        if not args.implicit_tls:
            raise
        print(f"start check: {e}", file=sys.stderr)
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write(str(args.port))
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
