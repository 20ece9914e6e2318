"""The only module that talks to the VK API (plain HTTPS, no SDK: the four calls we need).

A wall post with a photo: `photos.getWallUploadServer` → upload the file → `photos.saveWallPhoto`
→ `wall.post` (with a `guid`, so VK itself refuses a second copy of the same post). The root is
`VK_API_BASE_URL`; a test points it at a local fake server.
"""

from dataclasses import dataclass

import httpx
from django.conf import settings


class VkError(Exception):
    """VK refused or could not be reached; the message is safe to show to staff."""

    def __init__(self, message: str, *, retry: bool = True, uncertain: bool = False):
        super().__init__(message)
        self.retry = retry  # a later attempt may succeed
        self.uncertain = uncertain  # the post may have gone out (a timeout after sending)


# VK error codes that no retry will fix: auth, access, bad parameters, a captcha.
_FINAL_CODES = {5, 7, 14, 15, 27, 100, 113, 203, 214, 219, 220, 222, 224}


@dataclass(frozen=True)
class VkPost:
    post_id: int
    url: str


def is_configured() -> bool:
    group = settings.VK_GROUP_ID.strip().lstrip("-")
    return bool(settings.VK_ACCESS_TOKEN and group.isdigit())


def _group() -> int:
    return abs(int(settings.VK_GROUP_ID))


def _call(http: httpx.Client, method: str, **params) -> object:
    data = {**params, "access_token": settings.VK_ACCESS_TOKEN, "v": settings.VK_API_VERSION}
    try:
        response = http.post(f"{settings.VK_API_BASE_URL}/{method}", data=data)
    except httpx.TimeoutException as exc:
        raise VkError(f"VK {method}: timeout", uncertain=method == "wall.post") from exc
    except httpx.HTTPError as exc:
        raise VkError(f"VK {method}: {type(exc).__name__}: {exc}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise VkError(f"VK {method}: HTTP {response.status_code}, not JSON") from exc
    if not isinstance(body, dict):
        raise VkError(f"VK {method}: unexpected answer")
    if "error" in body:
        error = body["error"] if isinstance(body["error"], dict) else {}
        code = error.get("error_code")
        raise VkError(
            f"VK {method}: error {code}: {error.get('error_msg', 'unknown')}",
            retry=code not in _FINAL_CODES,
        )
    if response.status_code >= 400 or "response" not in body:
        raise VkError(f"VK {method}: HTTP {response.status_code}")
    return body["response"]


def _upload_photo(http: httpx.Client, image: bytes, filename: str) -> str:
    server = _call(http, "photos.getWallUploadServer", group_id=_group())
    try:
        upload_url = server["upload_url"]
        uploaded = http.post(upload_url, files={"photo": (filename, image)}).json()
        fields = {k: uploaded[k] for k in ("server", "photo", "hash")}
    except httpx.HTTPError as exc:
        raise VkError(f"VK photo upload: {type(exc).__name__}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise VkError("VK photo upload: unexpected answer") from exc
    if not fields["photo"] or fields["photo"] == "[]":
        raise VkError("VK photo upload: VK did not accept the image", retry=False)
    saved = _call(http, "photos.saveWallPhoto", group_id=_group(), **fields)
    try:
        photo = saved[0]
        return f"photo{photo['owner_id']}_{photo['id']}"
    except (KeyError, IndexError, TypeError) as exc:
        raise VkError("VK photos.saveWallPhoto: unexpected answer") from exc


def wall_post(*, text: str, guid: str, image: bytes | None = None, filename: str = "") -> VkPost:
    """Publish on the community wall; raises VkError."""
    timeout = httpx.Timeout(settings.EXTERNAL_HTTP_TIMEOUT)
    with httpx.Client(timeout=timeout) as http:
        attachments = _upload_photo(http, image, filename or "image.jpg") if image else ""
        params = {"owner_id": -_group(), "from_group": 1, "message": text, "guid": guid}
        if attachments:
            params["attachments"] = attachments
        result = _call(http, "wall.post", **params)
    try:
        post_id = int(result["post_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise VkError("VK wall.post: unexpected answer", retry=False, uncertain=True) from exc
    return VkPost(post_id=post_id, url=f"https://vk.com/wall-{_group()}_{post_id}")
