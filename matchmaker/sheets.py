"""The columns of the issue and technology spreadsheets: one table each, shared by the export,
the template and the import, so whatever is exported imports back as the same data.

Headers are recognised in Japanese or English (and a few common variants); values are written
in the reader's language and read back in either (labels, stable keys, names, amounts).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask_babel import lazy_gettext as _l

from models import BudgetRange, Challenge, ChallengeStatus, Maturity, PriceBand, Technology

from .readers import CellError, Reading, fold, format_yen, parse_amount

CHALLENGES, TECHNOLOGIES = "challenges", "technologies"


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def label(self) -> str:
        return self.ja

    def names(self) -> set[str]:
        return {fold(n) for n in (self.key, self.key.replace("_", " "), self.ja, self.en, *self.aliases)}


CHALLENGE_COLUMNS: tuple[Column, ...] = (
    Column("key", "外部キー", "key", ("external key", "external_key", "管理番号", "キー")),
    Column("id", "ID", "id", ("システムID",)),
    Column("municipality", "自治体", "municipality", ("市町村", "自治体名")),
    Column("title", "タイトル", "title", ("課題名", "件名"), required=True),
    Column("description", "説明", "description", ("内容", "課題の内容", "詳細"), required=True),
    Column("fields", "分野", "fields", ("field",), required=True),
    Column("target", "対象", "target", ("対象者", "対象地域")),
    Column("budget_range", "予算規模", "budget", ("予算",)),
    Column("desired_start", "希望開始時期", "desired start", ("開始時期", "開始希望")),
    Column("available_data", "提供可能なデータ", "available data", ("データ",)),
    Column("status", "公開状態", "status", ("状態",)),
)
TECHNOLOGY_COLUMNS: tuple[Column, ...] = (
    Column("key", "外部キー", "key", ("external key", "external_key", "管理番号", "製品コード", "キー")),
    Column("id", "ID", "id", ("システムID",)),
    Column("organization", "団体", "organization", ("企業", "企業名", "会社", "会社名", "団体名", "company")),
    Column("title", "名称", "title", ("タイトル", "技術名", "製品名", "サービス名"), required=True),
    Column("description", "説明", "description", ("内容", "概要", "詳細"), required=True),
    Column("fields", "分野", "fields", ("field",), required=True),
    Column("maturity", "成熟度", "maturity", ()),
    Column("price_band", "価格帯", "price", ("価格",)),
    Column("deployed_in", "導入実績のある自治体", "deployed in", ("導入自治体", "導入実績")),
    Column("retired", "廃止", "retired", ("掲載終了",)),
)
COLUMNS = {CHALLENGES: CHALLENGE_COLUMNS, TECHNOLOGIES: TECHNOLOGY_COLUMNS}


def header(kind: str, language: str) -> list[str]:
    return [c.en if language == "en" else c.ja for c in COLUMNS[kind]]


# -- enumerations: every way a cell may name a member ----------------------------------------
@cache
def _english() -> NullTranslations:
    return Translations.load(str(Path(__file__).parent / "translations"), ["en"])


def _msgid(label: Any) -> str:
    # flask_babel's LazyString keeps its msgid as the first argument; str() would translate it.
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)


def _labels() -> dict[type[enum.Enum], dict[Any, Any]]:
    from .forms import BUDGET_LABELS, MATURITY_LABELS, PRICE_LABELS, STATUS_LABELS

    return {BudgetRange: BUDGET_LABELS, PriceBand: PRICE_LABELS, Maturity: MATURITY_LABELS,
            ChallengeStatus: STATUS_LABELS}


def label_of(member: enum.Enum) -> str:
    """A member's label in the reader's language (an export cell)."""
    return str(_labels()[type(member)][member])


def _words(enum_cls: type[enum.Enum]) -> dict[str, Any]:
    words: dict[str, Any] = {}
    for member, label in _labels()[enum_cls].items():
        msgid = _msgid(label)
        for word in (member.value, member.value.replace("_", " "), msgid, _english().gettext(msgid)):
            words[fold(word)] = member
    return words


_EXTRA_WORDS: dict[type[enum.Enum], dict[str, Any]] = {
    PriceBand: {fold(w): PriceBand.FREE for w in ("無料", "0円", "free of charge")}
    | {fold(w): PriceBand.ON_REQUEST for w in ("応相談", "個別見積", "見積", "ask")},
    Maturity: {fold(w): Maturity.CONCEPT for w in ("構想", "開発中", "idea")}
    | {fold(w): Maturity.PILOTED for w in ("実証", "実証中", "pilot")}
    | {fold(w): Maturity.IN_SERVICE for w in ("導入済み", "導入実績", "提供中", "in service")},
    ChallengeStatus: {fold(w): ChallengeStatus.OPEN for w in ("公開", "募集中", "open")}
    | {fold(w): ChallengeStatus.DRAFT for w in ("非公開",)} | {fold(w): ChallengeStatus.CLOSED for w in ("終了済み", "締切")},
    BudgetRange: {fold(w): BudgetRange.UNDECIDED for w in ("未定", "なし", "-", "調整中")},
}


def _band(amount: int, enum_cls: type[enum.Enum]) -> Any:
    if enum_cls is PriceBand and amount == 0:
        return PriceBand.FREE
    for limit, value in ((1_000_000, "under_1m"), (5_000_000, "1m_5m"), (20_000_000, "5m_20m")):
        if amount < limit:
            return enum_cls(value)
    return enum_cls("over_20m")


def read_choice(enum_cls: type[enum.Enum], text: str, *, default: Any) -> Reading[Any]:
    """A member named by its key, its Japanese or English label or a common word, or for money
    an amount (120万円 → its band). Raises CellError."""
    if not text.strip():
        return Reading(default)
    key = fold(text)
    member = _words(enum_cls).get(key) or _EXTRA_WORDS.get(enum_cls, {}).get(key)
    if member is not None:
        return Reading(member, None if text.strip() in (member.value, _msgid(_labels()[enum_cls][member]))
                       else f"{label_of(member)}")
    if enum_cls in (BudgetRange, PriceBand):
        amount = parse_amount(text)
        if amount is not None:
            band = _band(amount, enum_cls)
            written = format_yen(amount)
            return Reading(band, label_of(band) if written == text.strip() else f"{written} → {label_of(band)}")
    choices = " / ".join(str(label) for label in _labels()[enum_cls].values())
    raise CellError(_l("「%(text)s」は選択肢にありません（%(choices)s）。", text=text, choices=choices))


# -- the cells of an export -------------------------------------------------------------------
def challenge_cells(challenge: Challenge, *, localized: Any) -> list[Any]:
    return [
        challenge.external_key or "", challenge.id, localized(challenge.municipality), challenge.title,
        challenge.description, "; ".join(localized(f) for f in challenge.fields), challenge.target,
        label_of(challenge.budget_range), challenge.desired_start.isoformat() if challenge.desired_start else "",
        challenge.available_data, label_of(challenge.status),
    ]


def technology_cells(technology: Technology, *, localized: Any, yes_no: Sequence[str]) -> list[Any]:
    return [
        technology.external_key or "", technology.id, technology.organization.name, technology.title,
        technology.description, "; ".join(localized(f) for f in technology.fields), label_of(technology.maturity),
        label_of(technology.price_band), "; ".join(localized(m) for m in technology.deployed_in),
        yes_no[0] if technology.is_retired else yes_no[1],
    ]


TEMPLATE_EXAMPLES: dict[str, list[list[str]]] = {
    CHALLENGES: [["KN-2027-01", "", "河内長野", "ニュータウンの坂道での移動支援",
                  "高齢化が進むニュータウンで、坂道が多くバス路線も減り、買い物や通院の移動が難しくなっています。",
                  "移動; ヘルスケア", "南花台地区の高齢者", "120万円", "2027年4月", "バス停別の乗降データ", "受付中"]],
    TECHNOLOGIES: [["NM-001", "", "", "AIオンデマンド乗合交通",
                    "予約に応じてAIが最適な経路を組み、乗合車両を配車します。", "移動; 高齢者", "導入実績あり",
                    "500万〜2,000万円", "河内長野市; 豊中", "いいえ"]],
}


def find_columns(kind: str, header_cells: Iterable[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """Which position holds which column: (positions by key, headers not recognised, headers
    given twice)."""
    positions: dict[str, int] = {}
    ignored, repeated = [], []
    by_name = {name: column for column in COLUMNS[kind] for name in column.names()}
    for position, text in enumerate(header_cells):
        if not text.strip():
            continue
        column = by_name.get(fold(text))
        if column is None:
            ignored.append(text)
        elif column.key in positions:
            repeated.append(text)
        else:
            positions[column.key] = position
    return positions, ignored, repeated
