"""Talking to the Messaging API with line-bot-sdk v3, one association's access token at a time.

Every call returns what LINE answered as an `Answer` (or the parsed body) instead of raising,
so that the sender decides what a status means for its rows. `LINE_API_BASE` points the SDK
at another host (the tests' emulator).
"""

import json
import logging
from dataclasses import dataclass

import urllib3
from flask import Flask, current_app
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)

from ..push.sender import parse_retry_after

log = logging.getLogger(__name__)

MULTICAST_MAX = 500  # user ids in one multicast request
MONTHLY_LIMIT = "You have reached your monthly limit."


@dataclass(frozen=True)
class Answer:
    """What LINE said: `status` None when it did not answer (timeout, connection)."""

    status: int | None
    error: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def monthly_limit(self) -> bool:
        """The plan's messages for this month are used up: waiting minutes cannot help."""
        return self.status == 429 and MONTHLY_LIMIT.lower() in self.error.lower()

    @property
    def refused_recipient(self) -> bool:
        """400 naming the recipients (`to`), not the messages: one user id is refused."""
        return self.status == 400 and ("'to'" in self.error or "to[" in self.error)

    @property
    def refused_token(self) -> bool:
        return self.status in (401, 403)


def _message_of(body) -> str:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return str(body or "")[:300]
    if not isinstance(data, dict):
        return ""
    details = "; ".join(
        f"{d.get('property', '')}: {d.get('message', '')}"
        for d in data.get("details") or []
        if isinstance(d, dict)
    )
    return (str(data.get("message", "")) + (f" ({details})" if details else ""))[:500]


def _header(headers, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


class LineClient:
    """One access token's API client; close() when done."""

    def __init__(self, access_token: str, app: Flask | None = None) -> None:
        config = (app or current_app).config
        configuration = Configuration(
            host=str(config["LINE_API_BASE"]).rstrip("/"), access_token=access_token
        )
        configuration.retries = False  # the outbox retries, with its own backoff
        self.timeout = float(config["LINE_TIMEOUT_SECONDS"])
        self.api_client = ApiClient(configuration)
        self.api = MessagingApi(self.api_client)

    def close(self) -> None:
        self.api_client.close()

    def _call(self, method, *args, **kwargs) -> tuple[Answer, object]:
        try:
            response = method(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as error:
            retry_after = parse_retry_after(_header(error.headers, "Retry-After"))
            return Answer(error.status, _message_of(error.body), retry_after), None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Answer(None, f"no answer: {type(error).__name__}"), None
        except ValueError as error:
            # The SDK raises ApiException for every status but 2xx: LINE took the request,
            # only its answer's body was not what the SDK expects.
            log.warning("LINE answer not understood: %s", error)
            return Answer(200, "answer not understood"), None
        return Answer(response.status_code), response.data

    def push(self, user_id: str, messages: list[dict], retry_key: str | None = None) -> Answer:
        request = PushMessageRequest.from_dict({"to": user_id, "messages": messages})
        answer, _ = self._call(
            self.api.push_message_with_http_info, request, x_line_retry_key=retry_key
        )
        return answer

    def multicast(
        self, user_ids: list[str], messages: list[dict], retry_key: str | None = None
    ) -> Answer:
        if not 0 < len(user_ids) <= MULTICAST_MAX:
            raise ValueError(f"a multicast takes 1 to {MULTICAST_MAX} user ids")
        request = MulticastRequest.from_dict({"to": user_ids, "messages": messages})
        answer, _ = self._call(
            self.api.multicast_with_http_info, request, x_line_retry_key=retry_key
        )
        return answer

    def reply(self, reply_token: str, messages: list[dict]) -> Answer:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        answer, _ = self._call(self.api.reply_message_with_http_info, request)
        if not answer.ok:
            log.warning("LINE reply refused with %s: %s", answer.status, answer.error)
        return answer

    def quota(self) -> tuple[Answer, str, int | None]:
        """The month's allowance: ("limited", number) or ("none", None)."""
        answer, data = self._call(self.api.get_message_quota_with_http_info)
        if data is None:
            return answer, "", None
        kind = getattr(data.type, "value", data.type)
        return answer, str(kind), data.value

    def consumption(self) -> tuple[Answer, int | None]:
        """Messages sent this month (that count against the allowance)."""
        answer, data = self._call(self.api.get_message_quota_consumption_with_http_info)
        return answer, (data.total_usage if data is not None else None)

    def bot_info(self) -> tuple[Answer, dict | None]:
        """The account's basic ID and name, or None with what LINE said."""
        answer, data = self._call(self.api.get_bot_info_with_http_info)
        if data is None:
            return answer, None
        return answer, {"basic_id": data.basic_id or "", "display_name": data.display_name or ""}
