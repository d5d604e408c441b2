"""A protocol-true emulator of DeepL's text translation API on 127.0.0.1.

POST /v2/translate with `Authorization: DeepL-Auth-Key <key>` and a JSON body (as the
official library sends it) or a form body (text=...&target_lang=..., as curl examples do):
`text` a list of strings, `target_lang` (e.g. "VI", "ZH-HANS", "EN-US"), optionally
`source_lang` ("JA"). It answers as DeepL does:

    {"translations": [{"detected_source_language": "JA", "text": "...",
                       "billed_characters": 7}]}

Each text comes back as "<TARGET>: <text>", so tests can tell what was sent where. Errors as
DeepL's: 403 for a wrong key, 456 when the quota is used up, 400 for a target language DeepL
does not have, and whatever `fail_with` says (a status such as 500, 503 or 429, for the next
`fail_times` requests); `delay` seconds before answering to make the client time out.
"""

import asyncio

from aiohttp import web

from ..aioserver import ThreadedSite

KEY = "test-key:fx"
TARGETS = {"JA", "EN-US", "EN-GB", "ZH-HANS", "ZH-HANT", "ZH", "VI", "KO", "DE", "FR"}
SOURCES = {"JA", "EN", "ZH", "VI", "KO", "DE", "FR"}


class DeepLEmulator:
    def __init__(self) -> None:
        self.site = ThreadedSite("deepl-emulator")
        self.requests: list[dict] = []
        self.reset()

    @property
    def origin(self) -> str:
        return self.site.origin

    def start(self) -> "DeepLEmulator":
        self.site.start(lambda app: app.router.add_post("/v2/translate", self._translate))
        return self

    def stop(self) -> None:
        self.site.stop()

    def reset(self) -> None:
        self.requests.clear()
        self.quota_left: int | None = None  # characters; None: no limit
        self.fail_with: int | None = None
        self.fail_times = 1_000_000
        self.delay = 0.0

    async def _body(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        body = {key: form.get(key) for key in form if key != "text"}
        body["text"] = form.getall("text", [])
        return body

    async def _translate(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self.requests.append(
            {"authorization": request.headers.get("Authorization", ""), "body": body}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {KEY}":
            return web.json_response({"message": "Forbidden"}, status=403)
        if self.fail_with is not None and self.fail_times > 0:
            self.fail_times -= 1
            return web.json_response({"message": "Internal error"}, status=self.fail_with)
        texts = body.get("text")
        if isinstance(texts, str):
            texts = [texts]
        target = str(body.get("target_lang", "")).upper()
        source = body.get("source_lang")
        if not texts or not all(isinstance(t, str) for t in texts):
            return web.json_response({"message": "Parameter 'text' not specified."}, status=400)
        if target not in TARGETS:
            return web.json_response(
                {"message": "Value for 'target_lang' not supported."}, status=400
            )
        if source is not None and str(source).upper() not in SOURCES:
            return web.json_response(
                {"message": "Value for 'source_lang' not supported."}, status=400
            )
        characters = sum(len(t) for t in texts)
        if self.quota_left is not None:
            if characters > self.quota_left:
                return web.json_response({"message": "Quota Exceeded"}, status=456)
            self.quota_left -= characters
        detected = str(source).upper() if source else "JA"
        return web.json_response(
            {
                "translations": [
                    {
                        "detected_source_language": detected,
                        "text": f"{target}: {text}",
                        "billed_characters": len(text),
                    }
                    for text in texts
                ]
            }
        )
