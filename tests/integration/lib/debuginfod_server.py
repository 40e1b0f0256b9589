"""A debuginfod server for tests: python3 debuginfod_server.py PORT LOG [DIR]

Every request path is appended to LOG (one a line). GET /buildid/ID/debuginfo
answers with DIR/ID.debug when DIR has it, else 404 (so without DIR it only
counts requests)."""
import http.server
import os
import sys

port, log_path = int(sys.argv[1]), sys.argv[2]
served = sys.argv[3] if len(sys.argv) > 3 else None
log = open(log_path, "a")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write(self.path + "\n")
        log.flush()
        parts = self.path.split("/")
        path = None
        if served and len(parts) == 4 and parts[1] == "buildid" and parts[3] == "debuginfo":
            path = os.path.join(served, os.path.basename(parts[2]) + ".debug")
        if path and os.path.isfile(path):
            data = open(path, "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
