"""Template globals: labels for enums, permission checks for hiding buttons."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from models import Notification
from scoring.explain import Explanation
from scoring.strength import strength

from . import jptime, notifications, reference_labels
from .forms import (
    BUDGET_LABELS,
    CATEGORY_LABELS,
    INVITATION_STATUS_LABELS,
    MATURITY_LABELS,
    PRICE_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
)
from .i18n import current_language, localized, translations
from .japanese_input import format_number, kpi_achieved
from .policies import can


def _can(permission: str, obj: object = None) -> bool:
    if not current_user.is_authenticated:
        return False
    return can(current_user.user, permission, obj)


def _field_label(key: str) -> str:
    """Localised name of a field key; reference data, loaded once per request."""
    if "field_labels" not in g:
        from sqlalchemy import select

        from models import Field

        from .db import get_session

        g.field_labels = {f.key: f for f in get_session().scalars(select(Field))}
    field = g.field_labels.get(key)
    return localized(field) if field is not None else key


MATURITY_BY_VALUE = {m.value: label for m, label in MATURITY_LABELS.items()}
STRENGTH_LABELS = {"strong": _l("強い"), "medium": _l("中程度"), "weak": _l("弱い")}


def _notification_text(notification: Notification) -> str:
    """In the reader's language; notifications from before kinds existed keep their stored text."""
    if not notification.kind:
        return notification.message
    return notifications.render(notification.kind, notification.params or {}, current_language())


def _jst(value: dt.datetime | dt.date | None, form: str = "datetime") -> Markup | str:
    """Any date or time as people in Japan read it: a <time> element in Japan time.

    form: "datetime" (2026-11-29 12:22), "date" (2026-11-29), "month" (2027年4月 / April 2027),
    "fiscal_year" (令和8年度 / FY2026, the April–March year the day falls in); "iso" gives only the
    machine-readable value (2026-11-29T12:22+09:00), for a <time> whose text is written elsewhere.
    """
    if value is None:
        return ""
    if form == "iso":  # only the machine-readable value, for a <time datetime> written elsewhere
        return jptime.to_jst(value).isoformat(timespec="minutes") if isinstance(value, dt.datetime) \
            else value.isoformat()
    if isinstance(value, dt.datetime):
        moment = jptime.to_jst(value)
        machine, day = moment.isoformat(timespec="minutes"), moment.date()
        text = moment.strftime("%Y-%m-%d %H:%M") if form == "datetime" else day.isoformat()
    else:
        day = value
        machine = text = day.isoformat()
    if form == "month":
        text = day.strftime("%B %Y") if current_language() == "en" else f"{day.year}年{day.month}月"
        machine = f"{day.year:04d}-{day.month:02d}"
    elif form == "fiscal_year":
        text = jptime.fiscal_year_label(jptime.fiscal_year(day), current_language())
        machine = str(jptime.fiscal_year(day))
    return Markup('<time datetime="{}">{}</time>').format(machine, text)


def _fiscal_year_label(year: int) -> str:
    return jptime.fiscal_year_label(int(year), current_language())

def _unread_count() -> int:
    """The signed-in person's unread notifications, counted once per request (navigation)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_count" not in g:
        from .db import get_session
        from .queries.projects import unread_count

        g.unread_count = unread_count(get_session(), current_user.user)
    return int(g.unread_count)


def reasons_html(explanation: Explanation) -> Markup:
    """A score's reasons as the `reasons` macro shows them, built in Python: a ranking page shows
    twenty or thirty of these, and as macros they were most of the page's time."""
    fields = tuple(_field_label(f) for f in explanation.shared_fields)
    places = reference_labels.join_names(explanation.deployed_in) if explanation.deployed_in else ""
    return _reasons_markup(current_language(), explanation, fields, places)


@lru_cache(maxsize=4096)
def _reasons_markup(language: str, explanation: Explanation, fields: tuple[str, ...], places: str) -> Markup:
    """The markup of reasons, remembered by everything it is made of: the language, the
    explanation (the engine's words and shares for the pair, a value) and the names read from the
    database for this request. Nothing else goes into it, so an edit anywhere (by any worker) that
    changes what a page shows changes the key: there is nothing to invalidate, and a process only
    re-uses what it would have built again. The messages hold no markup, so escaping each
    formatted line escapes exactly what a template would."""
    _ = translations().ugettext  # the name the message extractor looks for
    pct = explanation.display_percents()
    lines: list[tuple[str, int]] = []
    for i, term in enumerate(explanation.terms):
        if term.challenge_word == term.technology_word:
            text = _("共通の語「%(word)s」") % {"word": term.challenge_word}
        else:
            text = _("課題の「%(challenge)s」と技術の「%(technology)s」") % {
                "challenge": term.challenge_word, "technology": term.technology_word}
        lines.append((text, pct[f"term{i}"]))
    if pct["wording"]:
        lines.append((_("その他の似た表現"), pct["wording"]))
    if explanation.shared_fields:
        comma = _PUNCTUATION.get(language, _PUNCTUATION["ja"])["comma"]
        lines.append((_("分野が一致: %(fields)s") % {"fields": comma.join(fields)}, pct["field"]))
    if explanation.deployed_in:
        text = _("導入実績: %(places)s") % {"places": places}
        if explanation.deployed_in_same_region:
            text += _("（同じ地域）")
        lines.append((text, pct["evidence"]))
    elif explanation.maturity:
        lines.append((_("成熟度: %(maturity)s") % {"maturity": str(MATURITY_BY_VALUE[explanation.maturity])},
                      pct["evidence"]))
    items = "".join(f'<li>{escape(text)} <span class="meta">({percent}%)</span></li>' for text, percent in lines)
    return Markup(f'<ul class="reasons" aria-label="{escape(_("スコアの理由"))}">{items}</ul>')


def meter_html(score: float, best: float) -> Markup:
    """The `meter` macro's strength label (scoring/strength.py), built in Python for the same reason."""
    level = strength(score, best)
    return Markup(f'<span class="strength strength--{level}" data-strength="{level}">'
                  f'{escape(str(STRENGTH_LABELS[level]))}</span>')


_PUNCTUATION = {
    "ja": {"sep": "・", "lp": "（", "rp": "）", "comma": "、"},
    "en": {"sep": " · ", "lp": " (", "rp": ")", "comma": ", "},
}


def _punctuation() -> dict[str, str]:
    """Separators between values on a page, as each language writes them (an English page with
    「・」 and 「、」 is not wholly English)."""
    return _PUNCTUATION.get(current_language(), _PUNCTUATION["ja"])


def _notification_path(notification: Notification) -> str | None:
    return notifications.link_path(notification.kind, notification.params or {}, notification.project_id)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=_can, unread_count=_unread_count, notification_text=_notification_text, notification_path=_notification_path,
        BUDGET_LABELS=BUDGET_LABELS, CATEGORY_LABELS=CATEGORY_LABELS, MATURITY_LABELS=MATURITY_LABELS,
        PRICE_LABELS=PRICE_LABELS, STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS,
        INVITATION_STATUS_LABELS=INVITATION_STATUS_LABELS,
        MATURITY_LABELS_BY_VALUE={m.value: label for m, label in MATURITY_LABELS.items()},
        STATUS_LABELS_BY_VALUE={s.value: label for s, label in STATUS_LABELS.items()},
    )
    from .actions.workflow import CONTRACT_LABELS, PATTERN_LABELS, STAGE_LABELS

    app.jinja_env.globals.update(STAGE_LABELS=STAGE_LABELS, CONTRACT_LABELS=CONTRACT_LABELS,
                                 STAGE_LABELS_BY_VALUE_ALL={s.value: label for s, label in STAGE_LABELS.items()},
                                 PATTERN_LABELS=PATTERN_LABELS)
    app.jinja_env.globals.update(strength=strength, STRENGTH_LABELS=STRENGTH_LABELS, reasons_html=reasons_html,
                                 meter_html=meter_html)
    app.jinja_env.filters["percent"] = _percent
    app.jinja_env.filters["jst"] = _jst
    app.context_processor(_punctuation)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["region"] = reference_labels.region_label
    app.jinja_env.filters["municipality_name"] = reference_labels.municipality_name
    app.jinja_env.filters["names"] = reference_labels.join_names
    app.jinja_env.globals["action_label"] = reference_labels.action_label
    app.jinja_env.globals["kpi_achieved"] = kpi_achieved
    app.jinja_env.filters["fiscal_year_label"] = _fiscal_year_label
    app.jinja_env.filters["field_label"] = _field_label
    app.jinja_env.add_extension("jinja2.ext.do")
