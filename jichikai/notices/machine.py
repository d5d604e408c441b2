"""Machine translation of a circular's text through a configured provider (DeepL's API).

Off unless TRANSLATION_PROVIDER is set. The provider is asked through its official library
(`deepl`), which posts to `<server>/v2/translate` with the `DeepL-Auth-Key` authorization and
tries a failed request again (timeouts, 429, 5xx) TRANSLATION_RETRIES times, each waiting at
most TRANSLATION_TIMEOUT_SECONDS: an officer is waiting for the page. What goes wrong is
raised as a TranslationError with a message for the officer; nothing is stored by this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import deepl
from flask import current_app
from flask_babel import gettext as _

PROVIDER_DEEPL = "deepl"
PROVIDERS = (PROVIDER_DEEPL,)


class TranslationError(Exception):
    """The provider could not translate; `message` says so to the officer in plain words."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class MachineText:
    """A title and body in one language, as the provider made them."""

    language: str
    title: str
    body: str


def provider_name() -> str:
    """The configured provider ("" when machine translation is off)."""
    name = (current_app.config.get("TRANSLATION_PROVIDER") or "").strip().lower()
    return name if name in PROVIDERS else ""


def provider_languages() -> dict[str, str]:
    """Our language codes the provider translates into, with the provider's codes."""
    if provider_name() != PROVIDER_DEEPL:
        return {}
    return dict(current_app.config.get("DEEPL_LANGUAGES") or {})


def machine_languages(languages: list[str]) -> list[str]:
    """Those of `languages` the provider can translate into, in the same order."""
    known = provider_languages()
    return [code for code in languages if code in known]


def _source_code(language: str) -> str | None:
    """DeepL's source codes have no region or script: "EN-US" -> "EN", "ZH-HANS" -> "ZH"."""
    target = provider_languages().get(language)
    return target.split("-")[0] if target else None


def _translator() -> deepl.Translator:
    config = current_app.config
    key = config.get("DEEPL_AUTH_KEY") or ""
    if not key:
        raise TranslationError(_("機械翻訳の鍵が設定されていません。管理者に知らせてください。"))
    # The library keeps its timeout and retries in its module: set them for every request.
    deepl.http_client.min_connection_timeout = float(config["TRANSLATION_TIMEOUT_SECONDS"])
    deepl.http_client.max_network_retries = int(config["TRANSLATION_RETRIES"])
    return deepl.Translator(
        key, server_url=config.get("DEEPL_SERVER_URL") or None, send_platform_info=False
    )


def translate(title: str, body: str, source: str, targets: list[str]) -> list[MachineText]:
    """The title and body in each target language the provider knows (one request each).

    Raises TranslationError for a refused key (403), a used-up quota (456), too many requests
    (429), a provider that fails (5xx) or does not answer in time.
    """
    known = provider_languages()
    targets = [code for code in targets if code in known and code != source]
    if not targets:
        return []
    texts = [text for text in (title, body) if text]
    translator = _translator()
    made = []
    try:
        for language in targets:
            results = translator.translate_text(
                texts, source_lang=_source_code(source), target_lang=known[language]
            )
            out = [result.text for result in results]
            if len(out) != len(texts):
                raise TranslationError(_("機械翻訳の答えが読めませんでした。"))
            made.append(MachineText(language, out[0], out[1] if body else ""))
    except deepl.AuthorizationException as error:
        raise TranslationError(
            _("機械翻訳の鍵が受け付けられませんでした。管理者に知らせてください。"), str(error)
        ) from error
    except deepl.QuotaExceededException as error:
        raise TranslationError(
            _("機械翻訳の今月の上限に達しました。翻訳は手で入れてください。"), str(error)
        ) from error
    except deepl.TooManyRequestsException as error:
        raise TranslationError(
            _("機械翻訳が混み合っています。しばらくしてから、もう一度お試しください。"),
            str(error),
        ) from error
    except deepl.ConnectionException as error:
        raise TranslationError(
            _("機械翻訳から答えがありません。しばらくしてから、もう一度お試しください。"),
            str(error),
        ) from error
    except deepl.DeepLException as error:
        raise TranslationError(
            _("機械翻訳がうまくいきませんでした。しばらくしてから、もう一度お試しください。"),
            str(error),
        ) from error
    finally:
        translator.close()
    return made
