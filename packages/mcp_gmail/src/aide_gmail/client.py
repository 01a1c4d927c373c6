"""The Gmail API for one account: the calls the tools make, on `aide_google.client.GoogleClient` (which runs them
under aide's retry policy, sends actions once on a connection of their own, and maps errors to `AideError`s).

Reads and label changes go through `call` (retried); sends and creations through `act`, never retried: when the
outcome is unknown the error says so, and where to look.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aide_core.errors import AideError, NotFound
from aide_gmail.scopes import GMAIL
from aide_google.client import GoogleClient

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("aide.gmail")

ME = "me"
#: What a listing row needs: headers and the part tree with file names, no body data (where `fields` is honoured).
_ROW_FIELDS = (
    "id,threadId,labelIds,snippet,internalDate,payload(headers,filename,mimeType,"
    "parts(filename,mimeType,parts(filename,mimeType,parts(filename,mimeType))))"
)
#: How to find out whether a send whose outcome is unknown went out.
_CHECK_SENT = "look for it in the Sent folder (search_emails with query 'in:sent' and its subject)"


class GmailClient(GoogleClient):
    """Requests are built on the `users()` resource (`call(lambda u: u.messages().list(userId=ME))`)."""

    api = GMAIL
    #: Read once per client, at the first call that needs them.
    _email: str | None = None
    _labels: dict[str, str] | None = None

    def root(self, service: Any) -> Any:
        return service.users()

    # -- reading ----------------------------------------------------------------------------------------------------
    def email(self) -> str:
        if self._email is None:
            self._email = str(self.call(lambda u: u.getProfile(userId=ME))["emailAddress"])
        return self._email

    def label_names(self) -> dict[str, str]:
        """Label id -> name (user labels have ids such as Label_12), read once per client."""
        if self._labels is None:
            self._labels = {str(x["id"]): str(x["name"]) for x in self.labels()}
        return self._labels

    def list_messages(self, query: str, limit: int, page_token: str | None) -> dict[str, Any]:
        return self.call(lambda u: u.messages().list(userId=ME, q=query, maxResults=limit, pageToken=page_token))

    def get_message(self, message_id: str, fmt: str = "full", headers: list[str] | None = None) -> dict[str, Any]:
        extra: dict[str, Any] = {"metadataHeaders": headers} if headers else {}
        return self.call(
            lambda u: u.messages().get(userId=ME, id=message_id, format=fmt, **extra), item=f"message {message_id!r}"
        )

    def list_row(self, message_id: str) -> dict[str, Any]:
        """A message for a listing: headers and the part tree with file names, without body data where the
        server honours `fields`."""
        return self.call(
            lambda u: u.messages().get(userId=ME, id=message_id, format="full", fields=_ROW_FIELDS),
            item=f"message {message_id!r}",
        )

    def list_rows(self, ids: list[str]) -> list[dict[str, Any]]:
        """`list_row` for many messages in batch requests (50 a batch, as Gmail advises); a part that fails (a
        per-part 429, say) is fetched again on its own, under the retry policy."""

        def row(message_id: str) -> Callable[[Any], Any]:
            return lambda u: u.messages().get(userId=ME, id=message_id, format="full", fields=_ROW_FIELDS)

        found = self.call_many({message_id: row(message_id) for message_id in dict.fromkeys(ids)}, item="message")
        return [found[message_id] for message_id in ids]

    def get_thread(self, thread_id: str) -> dict[str, Any]:
        return self.call(
            lambda u: u.threads().get(userId=ME, id=thread_id, format="full"), item=f"thread {thread_id!r}"
        )

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        from aide_gmail.message import unb64

        body = self.call(lambda u: u.messages().attachments().get(userId=ME, messageId=message_id, id=attachment_id))
        return unb64(str(body.get("data", "")))

    # -- writing ----------------------------------------------------------------------------------------------------
    def send(self, raw: str, thread_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"raw": raw} | ({"threadId": thread_id} if thread_id else {})
        return self.act(lambda u: u.messages().send(userId=ME, body=body), done="sent the message", check=_CHECK_SENT)

    def create_draft(self, raw: str, thread_id: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"raw": raw} | ({"threadId": thread_id} if thread_id else {})
        return self.act(
            lambda u: u.drafts().create(userId=ME, body={"message": message}),
            done="saved the draft",
            check="look for it among the drafts (search_emails with query 'in:drafts')",
        )

    def update_draft(self, draft_id: str, raw: str, thread_id: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"raw": raw} | ({"threadId": thread_id} if thread_id else {})
        body = {"id": draft_id, "message": message}
        return self.call(lambda u: u.drafts().update(userId=ME, id=draft_id, body=body))

    def get_draft(self, draft_id: str, fmt: str = "full") -> dict[str, Any]:
        return self.call(lambda u: u.drafts().get(userId=ME, id=draft_id, format=fmt), item=f"draft {draft_id!r}")

    def list_drafts(self, limit: int, page_token: str | None) -> dict[str, Any]:
        return self.call(lambda u: u.drafts().list(userId=ME, maxResults=limit, pageToken=page_token))

    def send_draft(self, draft_id: str, raw: str, thread_id: str | None) -> dict[str, Any]:
        """Send `raw` (the draft as it was read and confirmed) as a message in the draft's thread, then delete the
        draft, as drafts.send would. Not drafts.send itself: it sends the draft as stored at that moment (its
        reference says "sends the specified, existing draft"), which may have been edited since the confirmation;
        messages.send sends exactly these bytes. A draft that cannot be deleted afterwards stays in Drafts, and the
        send still stands."""
        sent = self.send(raw, thread_id)
        try:
            self.delete_draft(draft_id)
        except NotFound:
            pass  # deleted meanwhile: what the user wanted anyway
        except AideError:
            logger.warning("Gmail: the draft %s was sent but could not be deleted", draft_id, exc_info=True)
        return sent

    def delete_draft(self, draft_id: str) -> None:
        self.call(lambda u: u.drafts().delete(userId=ME, id=draft_id), item=f"draft {draft_id!r}")

    def batch_modify(self, ids: list[str], add: list[str], remove: list[str]) -> None:
        body = {"ids": ids, "addLabelIds": add, "removeLabelIds": remove}
        self.call(lambda u: u.messages().batchModify(userId=ME, body=body))

    def trash(self, message_id: str) -> dict[str, Any]:
        return self.call(lambda u: u.messages().trash(userId=ME, id=message_id), item=f"message {message_id!r}")

    def untrash(self, message_id: str) -> dict[str, Any]:
        return self.call(lambda u: u.messages().untrash(userId=ME, id=message_id), item=f"message {message_id!r}")

    # -- labels and history -----------------------------------------------------------------------------------------
    def labels(self) -> list[dict[str, Any]]:
        return list(self.call(lambda u: u.labels().list(userId=ME)).get("labels") or [])

    def create_label(self, name: str) -> dict[str, Any]:
        body = {"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
        return self.act(
            lambda u: u.labels().create(userId=ME, body=body),
            done="created the label",
            check="look for it with list_labels",
        )

    def rename_label(self, label_id: str, name: str) -> dict[str, Any]:
        return self.call(lambda u: u.labels().patch(userId=ME, id=label_id, body={"name": name}))

    def delete_label(self, label_id: str) -> None:
        self.call(lambda u: u.labels().delete(userId=ME, id=label_id))

    def history(self, start: str, page_token: str | None, limit: int) -> dict[str, Any]:
        return self.call(
            lambda u: u.history().list(userId=ME, startHistoryId=start, pageToken=page_token, maxResults=limit)
        )

    # -- filters ----------------------------------------------------------------------------------------------------
    def filters(self) -> list[dict[str, Any]]:
        return list(self.call(lambda u: u.settings().filters().list(userId=ME)).get("filter") or [])

    def create_filter(self, criteria: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
        body = {"criteria": criteria, "action": action}
        return self.act(
            lambda u: u.settings().filters().create(userId=ME, body=body),
            done="created the filter",
            check="look for it with list_filters",
        )

    def delete_filter(self, filter_id: str) -> None:
        self.call(lambda u: u.settings().filters().delete(userId=ME, id=filter_id))
