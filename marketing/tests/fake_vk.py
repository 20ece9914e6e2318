"""A fake VK API on 127.0.0.1: the four calls of a wall post with a photo, over real HTTP.

`fail_next(method, code, message)` makes the next call of a method answer a VK error."""

import email.parser
import email.policy
import itertools
import json
from urllib.parse import parse_qs

from programs.tests.servers import LocalServer, json_response

GROUP = 222333


class FakeVK:
    def __init__(self) -> None:
        self.server = LocalServer()
        self.url = self.server.url
        self.calls: list[tuple[str, dict]] = []
        self.uploads: list[tuple[str, bytes]] = []
        self.posts: list[dict] = []
        self.failures: dict[str, list[tuple[int, str]]] = {}
        self._ids = itertools.count(101)
        for method in ("photos.getWallUploadServer", "photos.saveWallPhoto", "wall.post"):
            self.server.route("POST", f"/method/{method}", self._method(method))
        self.server.route("POST", "/upload", self._upload)

    def __enter__(self) -> "FakeVK":
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    def fail_next(self, method: str, code: int, message: str = "error") -> None:
        self.failures.setdefault(method, []).append((code, message))

    def _method(self, method: str):
        def handle(request):
            params = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
            self.calls.append((method, params))
            if params.get("access_token") != "vk-token":
                return json_response(
                    {"error": {"error_code": 5, "error_msg": "User authorization failed"}}
                )
            failures = self.failures.get(method, [])
            if failures:
                code, message = failures.pop(0)
                return json_response({"error": {"error_code": code, "error_msg": message}})
            if method == "photos.getWallUploadServer":
                return json_response(
                    {"response": {"upload_url": f"{self.url}/upload", "album_id": 1}}
                )
            if method == "photos.saveWallPhoto":
                return json_response(
                    {"response": [{"id": next(self._ids), "owner_id": -GROUP, "album_id": 1}]}
                )
            # wall.post: VK keeps one post per guid
            for post in self.posts:
                if post["guid"] == params.get("guid"):
                    return json_response({"response": {"post_id": post["post_id"]}})
            post = {**params, "post_id": next(self._ids)}
            self.posts.append(post)
            return json_response({"response": {"post_id": post["post_id"]}})

        return handle

    def _upload(self, request):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: "
            + request.headers["content-type"].encode()
            + b"\r\n\r\n"
            + request.body
        )
        for part in message.iter_parts():
            self.uploads.append((part.get_filename(), part.get_payload(decode=True)))
        return (
            200,
            "application/json",
            json.dumps({"server": 7, "photo": '[{"p":1}]', "hash": "h"}).encode(),
        )
