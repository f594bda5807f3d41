"""Forms of the event pages. They parse and carry CSRF; the event actions validate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import EventKind

from .actions.events import KIND_LABELS
from .forms import Form, MultiCheckboxField, VersionField


class EventForm(Form):
    title = StringField(_l("イベント名"), description=_l("160文字以内"))
    kind = SelectField(_l("種類"), validate_choice=False,
                       choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in EventKind])
    starts = StringField(_l("開催日時（日本時間）"), description=_l("例：2027年4月15日 14:00、2027-04-15 14:00"))
    ends = StringField(_l("終了時刻（任意）"), description=_l("例：16:00"))
    place = StringField(_l("会場"), description=_l("会場かオンライン参加のURLのどちらかは必須です。"))
    online_url = StringField(_l("オンライン参加のURL"), description=_l("https:// から始まるURL"))
    capacity = StringField(_l("定員"), description=_l("例：50"))
    description = TextAreaField(_l("内容"), description=_l("プログラム、対象、持ち物など。4,000文字以内。"))
    challenge_ids = MultiCheckboxField(_l("紹介する地域課題（10件まで）"), choices=[], coerce=str)
    version = VersionField()


class EventProposeForm(Form):
    technology_ids = MultiCheckboxField(_l("提案する自社の技術"), choices=[], coerce=str)
    title = StringField(_l("プロジェクト名"))
    summary = TextAreaField(_l("提案の概要"), description=_l("課題にどう応えるか、体制、想定スケジュールなど。"))
