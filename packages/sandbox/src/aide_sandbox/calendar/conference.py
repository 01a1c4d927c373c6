"""Google Meet links for events, as Calendar makes them: only when the request says `conferenceDataVersion=1`
(otherwise Google drops `conferenceData` from the body), and only for a `createRequest` of type `hangoutsMeet`;
any other solution type answers the request with status `failure`. The meeting code is derived from the
request id, so the same request always gets the same link."""

from __future__ import annotations

import hashlib
import string
from typing import Any


def _code(request_id: str) -> str:
    digest = hashlib.sha256(request_id.encode()).digest()
    letters = "".join(string.ascii_lowercase[b % 26] for b in digest[:10])
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"


def apply(body: dict[str, Any], version: int) -> dict[str, Any]:
    """`body` with its `conferenceData` as Google would store it (and `hangoutLink` for a new Meet)."""
    if "conferenceData" not in body:
        return body
    if version < 1:
        return {key: value for key, value in body.items() if key != "conferenceData"}
    data: dict[str, Any] = body["conferenceData"] or {}
    request: dict[str, Any] | None = data.get("createRequest")
    if request is None:
        return body
    solution = (request.get("conferenceSolutionKey") or {}).get("type", "hangoutsMeet")
    if solution != "hangoutsMeet":
        answered = request | {"status": {"statusCode": "failure"}}
        return body | {"conferenceData": data | {"createRequest": answered}}
    code = _code(str(request.get("requestId", "")))
    uri = f"https://meet.google.com/{code}"
    conference = {
        "createRequest": request | {"status": {"statusCode": "success"}},
        "entryPoints": [{"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"}],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
        },
        "conferenceId": code,
    }
    return body | {"conferenceData": conference, "hangoutLink": uri}
