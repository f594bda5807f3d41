"""What notifications and mails say, in the reader's language, without Flask.

Actions store a notification as a kind and its parameters; the text is rendered when it is
shown, in the language of the person reading (so an English inbox is English even for news
recorded while the app spoke Japanese). Mails are rendered the same way for their recipient.
The catalogue is Flask-Babel's own (matchmaker/translations); Babel reads it directly, so jobs,
the CLI and tests render without an app.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from models import Stage

TRANSLATIONS = Path(__file__).parent / "translations"
SOURCE_LANGUAGE = "ja"


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel's default keywords); translated when rendered."""
    return message


MESSAGES: dict[str, str] = {
    "proposal": N_("新しい提案「%(title)s」が届きました。"),
    "rollout": N_("横展開の提案「%(title)s」が届きました。"),
    "move": N_("「%(title)s」: %(from)s → %(to)s"),
}
SUBJECT = N_("[OSPFマッチング] %(title)s")
PROJECT = N_("プロジェクト")
# The stage names as they appear in messages (the same msgids as the pages' STAGE_LABELS).
STAGE_NAMES: dict[Stage, str] = {
    Stage.PROPOSED: N_("提案"), Stage.ACCEPTED: N_("協議中"), Stage.DECLINED: N_("辞退"),
    Stage.PILOT_REQUESTED: N_("実証申請中"), Stage.PILOT_APPROVED: N_("実証承認済み"),
    Stage.PILOT_REJECTED: N_("実証却下"), Stage.IN_PILOT: N_("実証中"), Stage.EVALUATED: N_("評価済み"),
    Stage.IMPLEMENTED: N_("社会実装"), Stage.WITHDRAWN: N_("取り下げ"), Stage.CANCELLED: N_("中止"),
}


@functools.cache
def translations(locale: str | None) -> NullTranslations:
    if not locale or locale == SOURCE_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


def translate(locale: str | None, message: str, **params: Any) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text


def render(kind: str, params: Mapping[str, Any], locale: str | None) -> str:
    """One notification's text in `locale`. Stage parameters (from, to) are stage values."""
    values = dict(params)
    for key in ("from", "to"):
        if key in values:
            values[key] = translate(locale, STAGE_NAMES[Stage(values[key])])
    return translate(locale, MESSAGES[kind], **values)


# Mails without a notification: (subject, body) message ids, and the path the body links to.
MAIL_ONLY: dict[str, tuple[str, str, str]] = {
    "repeated_application": (
        N_("[OSPFマッチング] 入会申請について"),
        N_("このメールアドレスで入会申請がありましたが、このアドレスは既に登録されています。"
           "ご本人の場合は、登録済みのアカウントでログインしてください。"
           "お心当たりがない場合は、このメールを破棄してください。"),
        "/login",
    ),
}


def mail(kind: str, params: Mapping[str, Any] | None, *, locale: str | None, project_id: int | None,
         base_url: str = "") -> tuple[str, str]:
    """(subject, body) of an outbox row, rendered by the delivery job for its recipient. Links
    are absolute when the public base URL is configured. Raises KeyError for an unknown kind."""
    params = params or {}
    base = base_url.rstrip("/")
    if kind in MAIL_ONLY:
        subject, body, path = MAIL_ONLY[kind]
        return translate(locale, subject)[:200], f"{translate(locale, body)}\n\n{base}{path}\n"
    subject = translate(locale, SUBJECT, title=params.get("title", ""))[:200]
    body = f"{render(kind, params, locale)}\n\n{translate(locale, PROJECT)}: {base}/projects/{project_id}\n"
    return subject, body
