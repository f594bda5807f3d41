"""What notifications and mails say, in the reader's language, without Flask.

Actions store a notification as a kind and its parameters; the text is rendered when it is
shown, in the language of the person reading (so an English inbox is English even for news
recorded while the app spoke Japanese). Mails are rendered the same way for their recipient.
The catalogue is Flask-Babel's own (matchmaker/translations); Babel reads it directly, so jobs,
the CLI and tests render without an app.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from models import Municipality, Stage

from .jpinput import format_moment

TRANSLATIONS = Path(__file__).parent / "translations"
SOURCE_LANGUAGE = "ja"


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel's default keywords); translated when rendered."""
    return message


MESSAGES: dict[str, str] = {
    "proposal": N_("新しい提案「%(title)s」が届きました。"),
    "rollout": N_("横展開の提案「%(title)s」が届きました。"),
    "move": N_("「%(title)s」: %(from)s → %(to)s"),
    # alerts (matchmaker/alerts.py)
    "alert_issue_match": N_("新しい地域課題「%(title)s」（%(municipality)s）が、貴社の技術「%(technology)s」と強く合致しています。"),
    "alert_issue_follow": N_("フォロー中の分野・自治体に新しい地域課題「%(title)s」（%(municipality)s）が公開されました。"),
    "alert_technology_match": N_("新しい技術「%(technology)s」（%(organization)s）が、貴自治体の課題「%(title)s」と強く合致しています。"),
    # accounts and freshness
    "application_pending": N_("入会申請「%(title)s」が審査を待っています。"),
    "reconfirm": N_("地域課題「%(title)s」は長く確認されていないため「更新確認待ち」と表示されています。"
                    "まだ募集中なら課題のページで確認してください。%(days)s日以内に確認がないと締め切られます。"),
    "stale_closed": N_("地域課題「%(title)s」は募集継続の確認がなかったため締め切りました。必要なら再公開できます。"),
    # events (matchmaker/actions/events.py); `path` is where it links
    "event_seat": N_("キャンセル待ちだったイベント「%(title)s」に空きが出て、参加が確定しました。"),
    # invitations and shortlists (matchmaker/actions/invitations.py, catalogue.shortlist)
    "invitation_to_propose": N_("%(municipality)sから、地域課題「%(title)s」への提案の招待が届きました（技術: %(technology)s）。"),
    "invitation_declined": N_("%(company)sが、地域課題「%(title)s」への招待を辞退しました。"),
    "question": N_("%(company)sから、地域課題「%(title)s」に質問が届きました。"),
    "answer": N_("地域課題「%(title)s」へのあなたの質問に回答がありました。"),
    "message": N_("「%(title)s」に%(author)sさんからメッセージが届きました。"),
    "shortlisted": N_("技術「%(technology)s」が、%(municipality)sの地域課題「%(title)s」の候補リストに追加されました。"),
}
# What each kind is called on the notification settings page. Every kind needs one (a test checks).
KIND_LABELS: dict[str, str] = {
    "proposal": N_("プロジェクトへの提案"),
    "rollout": N_("横展開の提案"),
    "move": N_("プロジェクトの進捗（段階の変更）"),
    "alert_issue_match": N_("自社の技術に合う新しい地域課題"),
    "alert_issue_follow": N_("フォロー中の分野・自治体の新しい地域課題"),
    "alert_technology_match": N_("自分の課題に合う新しい技術"),
    "application_pending": N_("審査待ちの入会申請"),
    "reconfirm": N_("課題の募集継続の確認"),
    "stale_closed": N_("確認がなかった課題の締切"),
    "event_seat": N_("イベントのキャンセル待ちからの参加確定"),
    "invitation_to_propose": N_("提案の招待"),
    "invitation_declined": N_("招待の辞退"),
    "shortlisted": N_("候補リストへの追加"),
    "question": N_("自分の課題への質問"),
    "answer": N_("自分の質問への回答"),
    "message": N_("プロジェクト内のメッセージ"),
}
# Subjects name the event and the item. A kind without one gets the generic SUBJECT.
SUBJECTS: dict[str, str] = {
    "proposal": N_("[OSPFマッチング] 新しい提案: %(title)s"),
    "rollout": N_("[OSPFマッチング] 横展開の提案: %(title)s"),
    "move": N_("[OSPFマッチング] %(to)s: %(title)s"),
    "alert_issue_match": N_("[OSPFマッチング] 技術に合う新しい地域課題: %(title)s"),
    "alert_issue_follow": N_("[OSPFマッチング] フォロー中の新しい地域課題: %(title)s"),
    "alert_technology_match": N_("[OSPFマッチング] 課題に合う新しい技術: %(technology)s"),
    "application_pending": N_("[OSPFマッチング] 審査待ちの入会申請: %(title)s"),
    "reconfirm": N_("[OSPFマッチング] 募集継続の確認: %(title)s"),
    "stale_closed": N_("[OSPFマッチング] 課題を締め切りました: %(title)s"),
    "event_seat": N_("[OSPFマッチング] 参加が確定しました：%(title)s"),
    "invitation_to_propose": N_("[OSPFマッチング] 提案の招待: %(title)s"),
    "invitation_declined": N_("[OSPFマッチング] 招待の辞退: %(title)s"),
    "shortlisted": N_("[OSPFマッチング] 候補リストに追加されました: %(title)s"),
    "question": N_("[OSPFマッチング] 新しい質問: %(title)s"),
    "answer": N_("[OSPFマッチング] 質問への回答: %(title)s"),
    "message": N_("[OSPFマッチング] 新しいメッセージ: %(title)s"),
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


def _values(params: Mapping[str, Any], locale: str | None) -> dict[str, Any]:
    """Parameters as they appear in text: stage values (from, to) become stage names."""
    values = {key: value for key, value in params.items() if not key.startswith("_")}
    # A municipality is stored with both names (municipality_params), so the reader's language
    # chooses at display time; older rows carry only the Japanese name.
    english = values.pop("municipality_en", None)
    if english and locale == "en":
        values["municipality"] = english
    for key in ("from", "to"):
        if key in values:
            values[key] = translate(locale, STAGE_NAMES[Stage(values[key])])
    return values


def municipality_params(municipality: Municipality) -> dict[str, str]:
    """The parameters naming a municipality in a notification: both names, chosen when shown."""
    return {"municipality": municipality.name, "municipality_en": municipality.name_en or municipality.name}


def render(kind: str, params: Mapping[str, Any], locale: str | None) -> str:
    """One notification's text in `locale`. Stage parameters (from, to) are stage values."""
    return translate(locale, MESSAGES[kind], **_values(params, locale))


def subject(kind: str, params: Mapping[str, Any], locale: str | None) -> str:
    template = SUBJECTS.get(kind, SUBJECT)
    return translate(locale, template, **{"title": "", **_values(params, locale)})[:200]


def link_path(kind: str, params: Mapping[str, Any], project_id: int | None) -> str:
    """Where a notification leads: its project, else the issue or technology it names."""
    if project_id is not None:
        return f"/projects/{project_id}"
    for key, prefix in (("challenge_id", "/challenges/"), ("technology_id", "/technologies/")):
        if params.get(key) is not None:
            return f"{prefix}{int(params[key])}"
    return str(params.get("path") or "/inbox")


def group_of(kind: str, params: Mapping[str, Any], project_id: int | None) -> tuple[str, int]:
    """Digests group by project, then by issue; anything else stands alone under its kind."""
    if project_id is not None:
        return ("project", project_id)
    if params.get("challenge_id") is not None:
        return ("challenge", int(params["challenge_id"]))
    return ("other", 0)


UNSUBSCRIBE = N_("この種類の通知メールを停止する（%(kind)s）:")
GROUP_HEADINGS = {"project": N_("プロジェクト「%(title)s」"), "challenge": N_("地域課題「%(title)s」"),
                  "other": N_("その他のお知らせ")}
DIGEST_SUBJECTS = {"daily": N_("[OSPFマッチング] 日次ダイジェスト: %(count)d件のお知らせ"),
                   "weekly": N_("[OSPFマッチング] 週次ダイジェスト: %(count)d件のお知らせ")}
DIGEST_INTRO = {"daily": N_("この1日のお知らせをまとめてお送りします（新しい順）。"),
                "weekly": N_("この1週間のお知らせをまとめてお送りします（新しい順）。")}
SETTINGS_LINE = N_("通知の受け取り方（すぐに・日次・週次・受け取らない）の設定:")

Unsubscribe = Callable[[int, str], str]  # (user id, kind) -> the path of that kind's unsubscribe page


def digest(items: Sequence[Mapping[str, Any]], period: str, *, locale: str | None, base_url: str,
           unsubscribe: Unsubscribe | None, user_id: int | None) -> tuple[str, str]:
    """One digest mail: items (kind, params, project_id, at) grouped by project and issue, the
    group with the newest item first and items newest first; an identical line is shown once."""
    groups: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for item in sorted(items, key=lambda i: str(i["at"]), reverse=True):
        groups.setdefault(group_of(item["kind"], item["params"] or {}, item.get("project_id")), []).append(item)
    lines = [translate(locale, DIGEST_INTRO[period]), ""]
    count = 0
    for (group, _id), members in groups.items():
        first = members[0]
        params = first["params"] or {}
        heading = translate(locale, GROUP_HEADINGS[group], title=params.get("title", ""))
        link = base_url + link_path(first["kind"], params, first.get("project_id"))
        lines += [f"■ {heading}", f"  {link}"]
        seen: set[str] = set()
        for item in members:
            text = render(item["kind"], item["params"] or {}, locale)
            if text in seen:
                continue
            seen.add(text)
            count += 1
            lines.append(f"  - {str(item['at'])[:10]} {text}")
            item_link = base_url + link_path(item["kind"], item["params"] or {}, item.get("project_id"))
            if item_link != link:
                lines.append(f"    {item_link}")
        lines.append("")
    if unsubscribe is not None and user_id is not None:
        for kind in sorted({item["kind"] for item in items}):
            label = translate(locale, KIND_LABELS.get(kind, kind))
            lines += [translate(locale, UNSUBSCRIBE, kind=label), f"{base_url}{unsubscribe(user_id, kind)}"]
        lines += [translate(locale, SETTINGS_LINE), f"{base_url}/account/notifications"]
    subject_ = translate(locale, DIGEST_SUBJECTS[period], count=count)[:200]
    return subject_, "\n".join(lines) + "\n"


# Mails without a notification: (subject, body) message ids, and the path the body links to.
MAIL_ONLY: dict[str, tuple[str, str, str]] = {
    "repeated_application": (
        N_("[OSPFマッチング] 入会申請について"),
        N_("このメールアドレスで入会申請がありましたが、このアドレスは既に登録されています。"
           "ご本人の場合は、登録済みのアカウントでログインしてください。"
           "お心当たりがない場合は、このメールを破棄してください。"),
        "/login",
    ),
    # The token is signed when the mail is delivered (matchmaker/tokens.py), never stored.
    "password_reset": (
        N_("[OSPFマッチング] パスワードの再設定"),
        N_("パスワード再設定の依頼を受け付けました。次のリンクから%(hours)s時間以内に新しいパスワードを設定してください。"
           "リンクは一度だけ使えます。お心当たりがない場合は、このメールを破棄してください（パスワードは変わりません）。"),
        "/password/reset/%(token)s",
    ),
    "invitation": (
        N_("[OSPFマッチング] %(organization)s への招待"),
        N_("%(inviter)s さんが、OSPFマッチングの %(organization)s のメンバーとしてあなたを招待しました。"
           "次のリンクから%(hours)s時間以内にパスワードを設定してください（一度だけ使えます）。"),
        "/password/reset/%(token)s",
    ),
    "application_received": (
        N_("[OSPFマッチング] 入会申請を受け付けました: %(organization)s"),
        N_("%(organization)s の入会申請を受け付けました。コーディネーターが審査し、結果をメールでお知らせします。"),
        "/",
    ),
    "application_approved": (
        N_("[OSPFマッチング] 入会申請が承認されました: %(organization)s"),
        N_("%(organization)s の入会申請が承認されました。申請したメールアドレスとパスワードでログインできます。"),
        "/login",
    ),
    "application_rejected": (
        N_("[OSPFマッチング] 入会申請の審査結果: %(organization)s"),
        N_("%(organization)s の入会申請は承認されませんでした。理由: %(reason)s"),
        "/",
    ),
}
TOKEN_KINDS = frozenset({"password_reset", "invitation"})


# Event mails that are not notifications (no preference applies: the reader asked for the event):
# (subject, body) message ids; the body links to the event and its calendar file.
EVENT_MAILS: dict[str, tuple[str, str]] = {
    "event_reminder": (N_("[OSPFマッチング] 明日のイベント：%(title)s"),
                       N_("参加登録しているイベント「%(title)s」は、%(when)sに開催されます。")),
}
EVENT_PLACE = N_("会場")
EVENT_ONLINE = N_("オンライン")
EVENT_PAGE = N_("イベントのページ")
EVENT_CALENDAR = N_("カレンダーに追加（.ics）")


def _event_mail(kind: str, params: Mapping[str, Any], locale: str | None, base: str) -> tuple[str, str]:
    start = dt.datetime.fromisoformat(str(params["starts_at"]))
    end = dt.datetime.fromisoformat(str(params["ends_at"])) if params.get("ends_at") else None
    when = format_moment(start, "en" if locale == "en" else "ja", end=end)
    subject, body = EVENT_MAILS[kind]
    lines = [translate(locale, body, title=params.get("title", ""), when=when), ""]
    if params.get("place"):
        lines.append(f"{translate(locale, EVENT_PLACE)}: {params['place']}")
    if params.get("online_url"):
        lines.append(f"{translate(locale, EVENT_ONLINE)}: {params['online_url']}")
    event_id = int(params["event_id"])
    lines += [f"{translate(locale, EVENT_PAGE)}: {base}/events/{event_id}",
              f"{translate(locale, EVENT_CALENDAR)}: {base}/events/{event_id}/calendar.ics", ""]
    return translate(locale, subject, title=params.get("title", ""))[:200], "\n".join(lines)


def mail(kind: str, params: Mapping[str, Any] | None, *, locale: str | None, project_id: int | None,
         base_url: str = "", unsubscribe: Unsubscribe | None = None) -> tuple[str, str]:
    """(subject, body) of an outbox row, rendered by the delivery job for its recipient. Links
    are absolute when the public base URL is configured. A notification mail carries its
    reader's id (`_user`) and ends with the unsubscribe link for its kind. Raises KeyError for
    an unknown kind."""
    params = params or {}
    base = base_url.rstrip("/")
    if kind in MAIL_ONLY:
        subject_, body, path = MAIL_ONLY[kind]
        values = _values(params, locale)
        return (translate(locale, subject_, **values)[:200],
                f"{translate(locale, body, **values)}\n\n{base}{path % values}\n")
    if kind in EVENT_MAILS:
        return _event_mail(kind, params, locale, base)
    user_id = params.get("_user")
    if kind == "digest":
        return digest(params["items"], params["period"], locale=locale, base_url=base, unsubscribe=unsubscribe,
                      user_id=user_id)
    lines = [render(kind, params, locale), "", base + link_path(kind, params, project_id), ""]
    if unsubscribe is not None and user_id is not None:
        label = translate(locale, KIND_LABELS.get(kind, kind))
        lines += [translate(locale, UNSUBSCRIBE, kind=label), f"{base}{unsubscribe(int(user_id), kind)}",
                  translate(locale, SETTINGS_LINE), f"{base}/account/notifications"]
    return subject(kind, params, locale), "\n".join(lines) + "\n"
