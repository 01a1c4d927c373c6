"""A google-api-python-client service for one set of credentials.

With `root_url` (the sandbox, or any emulator) the service is built from the bundled discovery document with
`rootUrl` replaced, so normal calls, uploads and batches all reach it over plain HTTP (wire-formats 1.1 B); without
it, from the same bundled document against Google. Either way there is no discovery request at run time.

Reads go through the service's own http (httplib2 with kept-alive connections); an action that must not happen
twice is executed with `action_http` instead (`request.execute(http=action_http(credentials))`), which never repeats
a request and never writes to a connection that may have gone stale (see `aide_google.transport`).
"""

from __future__ import annotations

import functools
import importlib
import json
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from google.auth.credentials import Credentials as BaseCredentials

#: Seconds one HTTP request may take (a 25 MB attachment over a slow line still fits).
TIMEOUT = 60.0


def _lib(name: str) -> Any:
    """A module of the Google client libraries, which ship no type information: typed `Any` in one place."""
    return importlib.import_module(name)


@functools.cache
def discovery_document(api: str, version: str) -> str:
    """The discovery document google-api-python-client ships for `api` `version`."""
    text = cast(str | None, _lib("googleapiclient.discovery_cache").get_static_doc(api, version))
    if text is None:
        raise LookupError(f"google-api-python-client ships no discovery document for {api} {version}")
    return text


def build_service(
    api: str, version: str, credentials: BaseCredentials, *, root_url: str | None = None, timeout: float = TIMEOUT
) -> Any:
    """A `googleapiclient.discovery.Resource` (typed `Any`: its methods are made at run time).

    Not thread-safe (httplib2 is not): build one per thread. Its own retries are off (`num_retries=0` is the
    default of `execute`); aide's retry policy wraps the calls."""
    doc: dict[str, Any] = json.loads(discovery_document(api, version))
    if root_url:
        doc["rootUrl"] = root_url if root_url.endswith("/") else root_url + "/"
        doc.pop("mtlsRootUrl", None)
    http = _lib("google_auth_httplib2").AuthorizedHttp(credentials, http=_lib("httplib2").Http(timeout=int(timeout)))
    return _lib("googleapiclient.discovery").build_from_document(doc, http=http)


def action_http(credentials: BaseCredentials, *, timeout: float = TIMEOUT) -> Any:
    """An authorized http for one non-idempotent request (a send, a create), to pass to `execute(http=...)`;
    close it after the call.

    Its requests go out once, each on a new connection (`SingleAttemptHttp`). google-auth's `AuthorizedHttp` still
    sends a request again after a 401 and a token refresh: a 401 means the request was refused, so nothing acted."""
    from aide_google.transport import SingleAttemptHttp

    return _lib("google_auth_httplib2").AuthorizedHttp(credentials, http=SingleAttemptHttp(timeout=int(timeout)))
