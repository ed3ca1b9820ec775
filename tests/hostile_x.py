"""A misbehaving X API on 127.0.0.1, beside the fake: scripted, pathological but plausible answers.

``HostileX(mentions=[...records...], paging="repeat"|"endless"|None, trickle_s=0.0)`` serves ``/2/users/me``,
``/2/users/:id/mentions`` (the records as given, raw JSON text allowed), ``/2/users/:id/tweets`` (the posts it
took) and ``POST /2/tweets``. Loopback only.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ME_ID = "1000"


class HostileX:
    def __init__(self, mentions: str | list[Any] = "[]", paging: str | None = None, trickle_s: float = 0.0) -> None:
        self.mentions = mentions if isinstance(mentions, str) else json.dumps(mentions)
        self.paging, self.trickle_s = paging, trickle_s
        self.calls: list[str] = []
        self.posts: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.calls.append(self.path)
                path = urlsplit(self.path).path
                if path == "/2/users/me":
                    self._send({"data": {"id": ME_ID, "name": "Shopee", "username": "shopeeid"}})
                elif path.endswith("/mentions"):
                    self._send_text(outer.mention_page(parse_qs(urlsplit(self.path).query)))
                elif path.endswith("/tweets"):
                    self._send(
                        {
                            "data": [
                                {"id": p["id"], "text": p["text"], "referenced_tweets": p["refs"]}
                                for p in reversed(outer.posts)
                            ],
                            "meta": {},
                        }
                        if outer.posts
                        else {"meta": {}}
                    )
                else:
                    self._send({"errors": [{"message": "nope"}]}, 404)

            def do_POST(self) -> None:
                outer.calls.append(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                post_id = str(2_000_000_000_000_000_000 + len(outer.posts))
                parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
                refs = [{"type": "replied_to", "id": parent}] if parent else []
                outer.posts.append({"id": post_id, "text": body.get("text"), "refs": refs, "parent": parent})
                self._send({"data": {"id": post_id, "text": body.get("text")}}, 201)

            def _send(self, body: Any, status: int = 200) -> None:
                self._send_text(json.dumps(body), status)

            def _send_text(self, text: str, status: int = 200) -> None:
                data = text.encode("utf-8", "surrogatepass")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("x-access-level", "read-write")
                self.end_headers()
                if outer.trickle_s and "/mentions" in self.path:
                    for byte in data:
                        if outer.stopping.wait(outer.trickle_s):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                else:
                    self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def mention_page(self, query: dict[str, list[str]]) -> str:
        if self.paging is None:
            return '{"data": ' + self.mentions + ', "meta": {}}'
        token = "again" if self.paging == "repeat" else f"t{len(self.calls)}"
        return '{"data": ' + self.mentions + ', "meta": {"next_token": "' + token + '"}}'

    def __enter__(self) -> HostileX:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0.01)
