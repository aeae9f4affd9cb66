"""A real HTTP server on 127.0.0.1 that plays GitHub back from recorded payloads.

Routes map a path (query string included when given) to a list of responses served in order;
the last one repeats. Every request is recorded (path, headers) so tests can assert what the
client sent. `{base}` in a body is replaced by the server's own URL (download links).
"""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = ""
    headers: dict = field(default_factory=dict)


class GitHubPlayback:
    def __init__(self):
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict]] = []
        playback = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                playback.requests.append((self.path, dict(self.headers)))
                replies = playback.routes.get(self.path) or playback.routes.get(self.path.split("?")[0])
                reply = Reply(404, '{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}')
                if replies:
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                body = reply.body.replace("{base}", playback.url) if isinstance(reply.body, str) else reply.body
                data = body.encode() if isinstance(body, str) else body
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value.replace("{base}", playback.url))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def paths(self, prefix: str = "") -> list[str]:
        return [p for p, _ in self.requests if p.startswith(prefix)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
