"""Pointing google-api-python-client at an emulator (wire-formats 1.1 B).

`build_service` builds the service from the discovery document the client ships, with `rootUrl` replaced: then
normal calls, media and resumable uploads and the batch endpoint all use the emulator's real paths over plain HTTP
(`client_options={"api_endpoint": ...}` would leave batch on the internet and uploads on https).
"""

from __future__ import annotations

import json
from typing import Any

import httplib2
from google.auth.credentials import Credentials as BaseCredentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc


def build_service(
    api: str,
    version: str,
    root_url: str,
    credentials: BaseCredentials | None = None,
    *,
    http: httplib2.Http | AuthorizedHttp | None = None,
) -> Any:
    """The `api` `version` service with every request going to `root_url` (e.g. `http://127.0.0.1:8123/gmail/`).

    Pass `credentials` (or an authorized `http`): never neither, or the client goes looking for application default
    credentials on the machine. Returns a `googleapiclient.discovery.Resource`, typed `Any` because its methods are
    made at run time from the discovery document."""
    if credentials is None and http is None:
        raise ValueError("pass credentials or http: without them the client probes for default credentials")
    text = get_static_doc(api, version)
    if text is None:
        raise LookupError(f"google-api-python-client ships no discovery document for {api} {version}")
    doc: dict[str, Any] = json.loads(text)
    doc["rootUrl"] = root_url if root_url.endswith("/") else root_url + "/"
    doc.pop("mtlsRootUrl", None)
    return build_from_document(doc, credentials=credentials, http=http)
