#!/usr/bin/env python3
"""A stand-in for Grafana Pyroscope's ingest endpoint that checks every
request against the documented HTTP API (grafana.com/docs/pyroscope, "Server
HTTP API", Ingestion): POST /ingest; query parameters name (required, APP or
APP{k=v,...}), from and until (required, Unix seconds), format, and the
optional sampleRate, spyName, units, aggregationType, nothing else; for
format=pprof a body that is a gzipped profile.proto (raw, Content-Type
application/octet-stream) or multipart/form-data.

usage: pyroscope_receiver.py DIR [--auth TOKEN] [--tenant ID] [--status N] [--port N]
                             [--tls-cert PEM --tls-key PEM]
Prints "ready PORT" once listening on 127.0.0.1 (port 0, a free one, unless
--port: a receiver started again on the port of one that was stopped).
Numbering goes on from the files already in DIR. Request N (from 1) goes to
DIR/N.pb.gz with its query string in DIR/N.query; a request that breaks the
API gets 400 and a line in DIR/errors. --status answers every request so
(after the checks), to test a failing server. --tls-cert/--tls-key serve
HTTPS with that certificate chain and key (python's ssl module); a client
that fails the handshake is counted in DIR/tls_failures, one line each."""
import argparse
import http.server
import os
import re
import ssl
import sys
import time
import urllib.parse

NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+(\{([A-Za-z0-9_.\-]+=[^,{}=]+(,[A-Za-z0-9_.\-]+=[^,{}=]+)*)?\})?$")
ALLOWED = {"name", "from", "until", "format", "sampleRate", "spyName", "units", "aggregationType"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--auth")
    ap.add_argument("--tenant")
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    count = [len([f for f in os.listdir(args.dir) if f.endswith(".pb.gz")])]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def problems(self, body):
            u = urllib.parse.urlsplit(self.path)
            if u.path != "/ingest":
                return ["path %s is not /ingest" % u.path]
            q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            errs = ["unknown parameter %s" % k for k in q if k not in ALLOWED]
            errs += ["parameter %s given %d times" % (k, len(v)) for k, v in q.items() if len(v) != 1]
            one = {k: v[0] for k, v in q.items()}
            for k in ("name", "from", "until"):
                if k not in one:
                    errs.append("missing %s" % k)
            if "name" in one and not NAME_RE.match(one["name"]):
                errs.append("bad name %r" % one["name"])
            try:
                frm, until = int(one.get("from", "x")), int(one.get("until", "x"))
                if until < frm:
                    errs.append("until %d before from %d" % (until, frm))
                if abs(frm - time.time()) > 3600:
                    errs.append("from %d is not within an hour of now" % frm)
            except ValueError:
                errs.append("from/until not integers")
            if "from" in one and "until" in one and one["until"].isdigit() and one["from"].isdigit():
                if int(one["until"]) > time.time() + 5:
                    errs.append("until %s is in the future" % one["until"])
            if one.get("format") != "pprof":
                errs.append("format %r, want pprof" % one.get("format"))
            ctype = self.headers.get("Content-Type", "")
            if ctype != "application/octet-stream" and not ctype.startswith("multipart/form-data"):
                errs.append("content type %r" % ctype)
            if ctype == "application/octet-stream" and body[:2] != b"\x1f\x8b":
                errs.append("body is not gzip")
            if args.auth and self.headers.get("Authorization") != "Bearer " + args.auth:
                errs.append("Authorization %r" % self.headers.get("Authorization"))
            if args.tenant and self.headers.get("X-Scope-OrgID") != args.tenant:
                errs.append("X-Scope-OrgID %r" % self.headers.get("X-Scope-OrgID"))
            return errs

        def answer(self, code, text):
            data = (text + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            errs = self.problems(body)
            if errs:
                with open(os.path.join(args.dir, "errors"), "a") as f:
                    f.write("%s: %s\n" % (self.path, "; ".join(errs)))
                return self.answer(400, "; ".join(errs))
            count[0] += 1
            n = count[0]
            with open(os.path.join(args.dir, "%d.pb.gz" % n), "wb") as f:
                f.write(body)
            with open(os.path.join(args.dir, "%d.query" % n), "w") as f:
                f.write(urllib.parse.unquote(urllib.parse.urlsplit(self.path).query) + "\n")
            self.answer(args.status, "ok" if args.status == 200 else "unavailable")

        def do_GET(self):
            with open(os.path.join(args.dir, "errors"), "a") as f:
                f.write("%s: method %s\n" % (self.path, self.command))
            self.answer(405, "method not allowed")

        do_PUT = do_GET
        do_DELETE = do_GET
        do_PATCH = do_GET

    class Server(http.server.HTTPServer):
        def get_request(self):
            sock, addr = self.socket.accept()
            if not args.tls_cert:
                return sock, addr
            try:
                sock.settimeout(10)
                conn = tls.wrap_socket(sock, server_side=True)
                conn.settimeout(None)
                return conn, addr
            except (ssl.SSLError, OSError) as e:
                with open(os.path.join(args.dir, "tls_failures"), "a") as f:
                    f.write("%s\n" % e)
                sock.close()
                raise

    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    srv = Server(("127.0.0.1", args.port), Handler)
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
