"""A JSON API on 127.0.0.1 for the vendor clients' tests (Cursor, Anthropic): a real HTTP server, in a thread, whose
answers a test writes as one function of the request. Nothing of our own code runs in it."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: object  # the JSON body (POST), else None


# (status, JSON body, extra headers)
Answer = tuple[int, object, dict]


class JsonApi:
    def __init__(self, answer: Callable[[Request], Answer]):
        self.calls: list[Request] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if method == "POST" else None
                request = Request(method, url.path, dict(urllib.parse.parse_qsl(url.query)), dict(self.headers), body)
                api.calls.append(request)
                status, payload, headers = answer(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
