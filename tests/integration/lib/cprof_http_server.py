#!/usr/bin/env python3
"""A stand-in profile server for the cprof fetch tests.

usage: cprof_http_server.py PROFILE LOG
  Prints "port N" once listening on 127.0.0.1. Serves PROFILE at
  /debug/pprof/heap only to requests carrying "Authorization: Bearer secret"
  and "X-Test: yes" (else 401, plain, without X-Go-Pprof); /slow answers
  after 30 s. Appends each request's path and headers to LOG.
"""
import http.server
import sys
import time

PROFILE, LOG = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(LOG, "a") as log:
            log.write("GET %s\n" % self.path)
            for k, v in self.headers.items():
                log.write("%s: %s\n" % (k, v))
        if self.path.startswith("/slow"):
            time.sleep(30)
        ok = (self.headers.get("Authorization") == "Bearer secret"
              and self.headers.get("X-Test") == "yes")
        if not ok:
            body = b"who are you?\n"
            self.send_response(401)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            body = open(PROFILE, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % server.server_address[1], flush=True)
server.serve_forever()
