"""Names people read, in their language: regions, municipalities named in text, history entries.

Municipality English names are data (Municipality.name_en); region names and history labels are
messages (Flask-Babel). Anything not listed here falls back to a readable generic label, never
to a raw key such as `challenge:create`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import AuditEvent, ChallengeStatus, Municipality

from .i18n import current_language, localized

REGION_LABELS = {
    "大阪市": _l("大阪市（地域）"), "北大阪": _l("北大阪"), "東部大阪": _l("東部大阪"), "南河内": _l("南河内"),
    "泉州": _l("泉州"),
}

ACTION_LABELS = {
    "challenge:create": _l("課題の登録"), "challenge:update": _l("課題の編集"),
    "challenge:status": _l("公開状態の変更"),
    "shortlist:add": _l("候補リストへの追加"), "shortlist:remove": _l("候補リストからの削除"),
    "technology:create": _l("技術の登録"), "technology:update": _l("技術の編集"),
    "technology:retire": _l("掲載の終了"), "technology:reactivate": _l("掲載の再開"),
    "vocabulary:create": _l("同義語の追加"), "vocabulary:update": _l("同義語の変更"),
    "vocabulary:delete": _l("同義語の削除"),
    "organization:apply": _l("入会の申請"), "organization:approve": _l("入会の承認"),
    "organization:reject": _l("入会の却下"),
    "user:create": _l("アカウントの作成"), "user:logout": _l("ログアウト"), "user:password": _l("パスワードの変更"),
    "user:repeated_application": _l("登録済みアドレスでの入会申請"),
    "api_token:create": _l("APIトークンの作成"), "api_token:revoke": _l("APIトークンの無効化"),
    "challenge:qa_deadline": _l("質問受付期限の変更"),
    "challenge:reconfirm": _l("募集継続の確認"),
    "challenge:stale_close": _l("確認がないための締め切り"),
    "colleague:invite": _l("同僚の招待"),
    "event:create": _l("イベントの登録"),
    "event:edit": _l("イベントの編集"),
    "event:register": _l("イベントへの参加登録"),
    "event:cancel_registration": _l("イベント参加の取り消し"),
    "event:promote": _l("キャンセル待ちからの繰り上げ"),
    "event:propose": _l("イベントからの提案"),
    "invitation:create": _l("提案の招待"),
    "invitation:accept": _l("招待を受けての提案"),
    "invitation:decline": _l("招待の辞退"),
    "organization:profile": _l("団体情報の編集"),
    "project:message": _l("メッセージの送信"),
    "question:ask": _l("質問の受付"),
    "question:answer": _l("質問への回答"),
    "technology:offered": _l("提供状況の変更"),
    "user:follows": _l("フォローの変更"),
    "user:notification_preferences": _l("通知設定の変更"),
    "user:password_reset": _l("パスワードの再設定"),
    "user:password_reset_requested": _l("パスワード再設定の依頼"),
    "user:unsubscribe": _l("通知メールの停止"),
}


def region_label(region: str | None) -> str:
    """A region's name in the reader's language (in Japanese, as stored: 大阪市 is also a region)."""
    if not region or current_language() != "en":
        return region or ""
    label = REGION_LABELS.get(region)
    return str(label) if label is not None else region


def _municipalities_by_name() -> dict[str, Municipality]:
    """Reference data, loaded once per request."""
    if "municipalities_by_name" not in g:
        from .db import get_session

        g.municipalities_by_name = {m.name: m for m in get_session().scalars(select(Municipality))}
    return g.municipalities_by_name


def municipality_name(name: str) -> str:
    """A municipality named by its Japanese name (the engine's reasons carry names) in the reader's language."""
    if current_language() != "en":
        return name
    found = _municipalities_by_name().get(name)
    return localized(found) if found is not None else name


def join_names(items: Iterable[Any]) -> str:
    """Municipalities (objects or Japanese names) joined as the reader's language joins a list."""
    names = [municipality_name(item) if isinstance(item, str) else localized(item) for item in items]
    return (", " if current_language() == "en" else "、").join(names)


def action_label(event: AuditEvent) -> str:
    """What a history entry did, in words: 課題を登録 / Created the issue, 公開状態を「受付中」に変更."""
    action = event.action or ""
    if action == "challenge:status" and isinstance(event.after, dict) and event.after.get("status"):
        from .forms import STATUS_LABELS

        try:
            status = ChallengeStatus(event.after["status"])
        except ValueError:
            status = None
        if status is not None:
            return _("公開状態を「%(status)s」に変更", status=STATUS_LABELS[status])
    if action.startswith("project:"):
        from .actions.workflow import MOVES

        move = MOVES.get(action.removeprefix("project:"))
        if move is not None:
            return str(move.label)
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else _("変更")
