"""The parts of the LINE Messaging API that jichikai uses, on 127.0.0.1, checked like LINE does.

- `POST /v2/bot/message/push`, `/multicast` (at most 500 user ids, no duplicates), `/reply`:
  a valid `Authorization: Bearer <token>` (else 401), 1 to 5 messages, user ids of the
  form U + 32 hex; `X-Line-Retry-Key` (a UUID) seen before and accepted answers 409 with
  `x-line-accepted-request-id`, as LINE does. Every accepted message is recorded.
- The monthly allowance: with `quota` set, a request that would go beyond it answers 429
  "You have reached your monthly limit." (recipients are counted, replies are free).
- `GET /v2/bot/message/quota`, `/quota/consumption`, `GET /v2/bot/info`.
- Scripted answers: `answer(429, (429, "3"), 500, 401)` are the next requests' statuses
  (a tuple adds a Retry-After); `refuse(user_id)` makes sends to that user 400.
- `latency` seconds before each answer (the benchmark uses 0.05).

    emulator = LineEmulator(latency=0.05).start()
    app.config["LINE_API_BASE"] = emulator.origin
    ...
    emulator.stop()
"""

import asyncio
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from ..aioserver import ThreadedSite

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
MULTICAST_MAX = 500
TOKEN = "test-token-0000-line-channel"


def new_user_id() -> str:
    return "U" + uuid.uuid4().hex


@dataclass
class Received:
    """One request LINE accepted."""

    kind: str  # push, multicast, reply
    to: list[str]
    messages: list[dict]
    token: str
    retry_key: str | None = None
    reply_token: str = ""
    at: float = field(default_factory=time.monotonic)


class LineEmulator:
    """Start with `start()` (a thread with its own event loop), stop with `stop()`."""

    def __init__(
        self,
        latency: float = 0.0,
        tokens: tuple[str, ...] = (TOKEN,),
        quota: int | None = None,
        basic_id: str = "@123abcde",
    ) -> None:
        self.latency = latency
        self.tokens = set(tokens)
        self.quota = quota
        self.usage = 0
        self.basic_id = basic_id
        self.display_name = "テスト町内会"
        self.scripts: deque = deque()
        self.refused: set[str] = set()
        self.received: list[Received] = []
        self.errors: list[str] = []
        self.requests = 0
        self._accepted_keys: dict[str, str] = {}
        self._lock = threading.RLock()
        self._site = ThreadedSite("line-emulator", client_max_size=2 * 1024 * 1024)
        self.origin = ""

    def reset(self, tokens: tuple[str, ...] = (TOKEN,), quota=None) -> None:
        """Forget everything received and scripted (between tests)."""
        with self._lock:
            self.tokens = set(tokens)
            self.quota, self.usage = quota, 0
            self.scripts.clear()
            self.refused.clear()
            self.received.clear()
            self.errors.clear()
            self._accepted_keys.clear()
            self.requests = 0
            self.latency = 0.0

    # Scripting ------------------------------------------------------------------------------

    def answer(self, *statuses) -> None:
        """The next requests' answers: 500, or (429, "3") with a Retry-After."""
        self.scripts.extend(statuses)

    def refuse(self, user_id: str) -> None:
        self.refused.add(user_id)

    def messages_for(self, user_id: str) -> list[list[dict]]:
        """What each accepted push or multicast carried to `user_id`."""
        return [r.messages for r in self.received if r.kind != "reply" and user_id in r.to]

    def replies(self) -> list[Received]:
        return [r for r in self.received if r.kind == "reply"]

    def sends(self) -> list[Received]:
        return [r for r in self.received if r.kind != "reply"]

    # Server side ----------------------------------------------------------------------------

    def _error(
        self, status: int, message: str, headers: dict | None = None, details=None
    ) -> web.Response:
        with self._lock:
            self.errors.append(f"{status} {message}")
        body = {"message": message, **({"details": details} if details else {})}
        return web.json_response(body, status=status, headers=headers)

    def _token(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[7:]
        return token if token in self.tokens else None

    async def _begin(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        """Latency, the token and scripted answers, for every endpoint."""
        self.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        token = self._token(request)
        if token is None:
            return None, self._error(
                401,
                "Authentication failed. Confirm that the access token in the authorization "
                "header is valid.",
            )
        if self.scripts:
            status = self.scripts.popleft()
            retry_after = None
            if isinstance(status, tuple):
                status, retry_after = status
            if status >= 300:
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                message = {
                    401: "Authentication failed.",
                    429: "Too many requests",
                    500: "Internal server error",
                }.get(status, "error")
                return None, self._error(status, message, headers)
        return token, None

    async def send(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        token, refused = await self._begin(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return self._error(400, "The request body has 1 error(s)")
        messages = body.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return self._error(400, "The request body has 1 error(s): messages")
        for message in messages:
            problem = _message_problem(message)
            if problem:
                return self._error(400, f"The request body has 1 error(s): {problem}")
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key is not None:
            try:
                uuid.UUID(retry_key)
            except ValueError:
                return self._error(400, "The retry key is invalid")
            accepted = self._accepted_keys.get(retry_key)
            if accepted is not None:
                return web.json_response(
                    {"message": "The retry key is already accepted"},
                    status=409,
                    headers={"x-line-accepted-request-id": accepted},
                )
        reply_token = ""
        if kind == "reply":
            reply_token = str(body.get("replyToken") or "")
            if not reply_token:
                return self._error(400, "Invalid reply token")
            to = []
        elif kind == "push":
            to = [body.get("to")]
        else:
            to = body.get("to")
            if not isinstance(to, list) or not 1 <= len(to) <= MULTICAST_MAX:
                return self._error(400, f"to: size must be between 1 and {MULTICAST_MAX}")
            if len(set(to)) != len(to):
                return self._error(400, "to: duplicate user ids")
        for index, user_id in enumerate(to):
            valid = isinstance(user_id, str) and USER_ID.match(user_id)
            if valid and user_id not in self.refused:
                continue
            if kind == "push":
                return self._error(400, "The property, 'to', in the request body is invalid")
            return self._error(
                400,
                "The request body has 1 error(s)",
                details=[{"message": "invalid user ID", "property": f"to[{index}]"}],
            )
        with self._lock:
            if self.quota is not None and self.usage + len(to) > self.quota:
                return self._error(429, "You have reached your monthly limit.")
            self.usage += len(to)
            request_id = str(uuid.uuid4())
            if retry_key is not None:
                self._accepted_keys[retry_key] = request_id
            self.received.append(Received(kind, to, messages, token, retry_key, reply_token))
        if kind in ("push", "reply"):
            sent = [{"id": str(n), "quoteToken": "q"} for n, _m in enumerate(messages, 1)]
            return web.json_response({"sentMessages": sent})
        return web.json_response({}, headers={"x-line-request-id": request_id})

    async def quota_view(self, request: web.Request) -> web.Response:
        _token, refused = await self._begin(request)
        if refused is not None:
            return refused
        if self.quota is None:
            return web.json_response({"type": "none"})
        return web.json_response({"type": "limited", "value": self.quota})

    async def consumption(self, request: web.Request) -> web.Response:
        _token, refused = await self._begin(request)
        if refused is not None:
            return refused
        return web.json_response({"totalUsage": self.usage})

    async def bot_info(self, request: web.Request) -> web.Response:
        _token, refused = await self._begin(request)
        if refused is not None:
            return refused
        return web.json_response(
            {
                "userId": "U" + "0" * 32,
                "basicId": self.basic_id,
                "displayName": self.display_name,
                "chatMode": "bot",
                "markAsReadMode": "auto",
            }
        )

    def start(self) -> "LineEmulator":
        self.origin = self._site.start(self._routes)
        return self

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/bot/message/{kind:push|multicast|reply}", self.send)
        app.router.add_get("/v2/bot/message/quota", self.quota_view)
        app.router.add_get("/v2/bot/message/quota/consumption", self.consumption)
        app.router.add_get("/v2/bot/info", self.bot_info)

    def stop(self) -> None:
        self._site.stop()


def _message_problem(message) -> str:
    """What LINE would refuse in one message object (the parts jichikai uses)."""
    if not isinstance(message, dict):
        return "message is not an object"
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 5000:
            return "text: size must be between 1 and 5000"
    elif kind == "template":
        template = message.get("template") or {}
        if not 1 <= len(message.get("altText") or "") <= 400:
            return "altText"
        if template.get("type") != "buttons":
            return "template.type"
        if not 1 <= len(template.get("text") or "") <= 160:
            return "template.text"
        actions = template.get("actions") or []
        if not 1 <= len(actions) <= 4:
            return "template.actions"
        for action in actions:
            problem = _action_problem(action)
            if problem:
                return problem
    else:
        return f"type {kind!r}"
    items = (message.get("quickReply") or {}).get("items") or []
    if len(items) > 13:
        return "quickReply.items"
    for item in items:
        problem = _action_problem(item.get("action") or {})
        if problem:
            return problem
    return ""


def _action_problem(action: dict) -> str:
    label = action.get("label") or ""
    if not 1 <= len(label) <= 20:
        return f"action.label {label!r}"
    if action.get("type") == "postback":
        if not 1 <= len(action.get("data") or "") <= 300:
            return "action.data"
        if len(action.get("displayText") or "") > 300:
            return "action.displayText"
    elif action.get("type") == "uri":
        uri = action.get("uri") or ""
        if not re.match(r"^(https?|line|tel):", uri) or len(uri) > 1000:
            return "action.uri"
    else:
        return "action.type"
    return ""


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
