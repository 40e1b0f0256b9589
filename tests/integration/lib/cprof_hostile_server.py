#!/usr/bin/env python3
"""A malicious profile server for cprof's fetch hardening tests.

usage: cprof_hostile_server.py LOG [BIND_ADDR]
  Listens on BIND_ADDR (default 127.0.0.1) port 0 and prints "port N".
  Appends each request's path and headers to LOG. Paths:
    /redirect?to=URL  302 to URL
    /loop             302 to /loop
    /endless          200, a body that never ends
    /bomb?mb=N        200, a small gzip stream that inflates to N MiB of zeros
    anything else     404
"""
import http.server
import socketserver
import sys
import zlib
from urllib.parse import parse_qs, urlparse

LOG = sys.argv[1]
BIND = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"


def bomb(mib):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper
    chunk = bytes(1 << 20)
    out = [z.compress(chunk) for _ in range(mib)]
    out.append(z.flush())
    return b"".join(out)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(LOG, "a") as log:
            log.write("GET %s\n" % self.path)
            for k, v in self.headers.items():
                log.write("%s: %s\n" % (k, v))
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path in ("/redirect", "/loop"):
            self.send_response(302)
            self.send_header("Location", q["to"][0] if "to" in q else "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif u.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            chunk = b"\x0a" * (1 << 16)
            try:
                while True:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif u.path == "/bomb":
            body = bomb(int(q.get("mb", ["100"])[0]))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server((BIND, 0), Handler)
print("port %d" % srv.server_address[1], flush=True)
srv.serve_forever()
