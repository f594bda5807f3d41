"""Spreadsheet imports as a table: each file case → the report (outcomes, problems by line and
column, interpretations), and for every refused file, nothing changed after trying to commit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from matchmaker.actions import imports
from matchmaker.domain.errors import Conflict, NotFound, PermissionDenied
from models import AuditEvent, Challenge, FeedHead, Organization, Technology, User

from ..web import ACCOUNTS, state_fingerprint

JA = ["外部キー", "自治体", "タイトル", "説明", "分野", "予算規模", "希望開始時期"]
EN = ["key", "municipality", "title", "description", "fields", "budget", "desired start"]
ROW = ["K-1", "河内長野", "坂道の移動", "高齢者の移動が難しくなっています。", "移動; ヘルスケア", "120万円", "2027年4月"]
TECH = ["外部キー", "名称", "説明", "分野", "成熟度", "価格帯", "導入実績のある自治体"]
TECH_ROW = ["NM-9", "乗合タクシーの予約", "電話とアプリで乗合タクシーを予約できます。", "モビリティ", "実証", "無料", "豊中; 河内長野市"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cell(row: list[str], position: int, value: str) -> list[str]:
    return [*row[:position], value, *row[position + 1:]]


def _ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512


# (case, who, kind, filename, data, outcomes expected, problems expected as (line, column, fragment))
CASES: list[tuple[str, str, str, str, Callable[[], bytes], dict[str, int], list[tuple[int, str, str]]]] = [
    ("utf-8 with BOM, Japanese headers", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, ROW]),
     {"create": 1}, []),
    ("utf-8 without BOM", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, ROW], "utf-8"), {"create": 1}, []),
    ("Shift_JIS (cp932)", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, ROW], "cp932"), {"create": 1}, []),
    ("English headers and values", "officer", "challenges", "a.csv", lambda: csv_bytes(
        [EN, ["K-1", "Kawachinagano", "Hills", "Hard to move around.", "Smooth mobility; health", "¥1M–5M",
              "2027-04-01"]]), {"create": 1}, []),
    ("全角 digits and amounts", "officer", "challenges", "a.csv", lambda: csv_bytes(
        [JA, with_cell(with_cell(ROW, 5, "１２０万円"), 6, "２０２７年４月")]), {"create": 1}, []),
    ("xlsx", "officer", "challenges", "a.xlsx", lambda: xlsx_bytes([JA, ROW]), {"create": 1}, []),
    ("broken encoding", "officer", "challenges", "a.csv", lambda: "タイトル,説明\n".encode() + b"\xff\xfe\xfd\n",
     {}, [(0, "", "文字コードを判別できません")]),
    ("missing header", "officer", "challenges", "a.csv", lambda: csv_bytes([JA[:3] + JA[4:], ROW[:3] + ROW[4:]]),
     {}, [(1, "説明", "列がありません")]),
    ("unknown municipality", "coordinator", "challenges", "a.csv", lambda: csv_bytes([JA, with_cell(ROW, 1, "架空市")]),
     {"error": 1}, [(2, "自治体", "見つかりません")]),
    ("another municipality's issue", "officer", "challenges", "a.csv",
     lambda: csv_bytes([JA, with_cell(ROW, 1, "豊中市")]), {"error": 1}, [(2, "自治体", "自分の自治体")]),
    ("duplicate rows", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, ROW, ROW]),
     {"create": 1, "error": 1}, [(3, "外部キー", "2行目と同じ")]),
    ("no key and no id", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, with_cell(ROW, 0, "")]),
     {"error": 1}, [(2, "外部キー", "外部キーを入れてください")]),
    ("unknown field", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, with_cell(ROW, 4, "宇宙開発")]),
     {"error": 1}, [(2, "分野", "見つかりません")]),
    ("unreadable date", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, with_cell(ROW, 6, "来年の春")]),
     {"error": 1}, [(2, "希望開始時期", "日付")]),
    ("title too long (the action's own check)", "officer", "challenges", "a.csv",
     lambda: csv_bytes([JA, with_cell(ROW, 2, "あ" * 121)]), {"error": 1}, [(2, "タイトル", "120文字以内")]),
    ("control character", "officer", "challenges", "a.csv", lambda: csv_bytes([JA, with_cell(ROW, 2, "坂道\x07")]),
     {"error": 1}, [(2, "タイトル", "制御文字")]),
    ("formula cell in xlsx", "officer", "challenges", "a.xlsx", lambda: xlsx_bytes([JA, with_cell(ROW, 2, "=1+1")]),
     {"error": 1}, [(2, "タイトル", "数式")]),
    ("header only", "officer", "challenges", "a.csv", lambda: csv_bytes([JA]), {}, [(0, "", "データ行がありません")]),
    ("blank file", "officer", "challenges", "a.csv", lambda: b"\xef\xbb\xbf\r\n\r\n", {}, [(0, "", "ファイルが空です")]),
    ("unterminated quote", "officer", "challenges", "a.csv", lambda: csv_bytes([JA]) + '"K-1,河内長野'.encode(),
     {}, [(0, "", "CSVの形式")]),
    ("old .xls", "officer", "challenges", "a.xls", _ole, {}, [(0, "", ".xls")]),
    ("not really an xlsx", "officer", "challenges", "a.xlsx", lambda: b"PK\x03\x04" + b"\x00" * 100,
     {}, [(0, "", "読み込めません")]),
    ("too many rows", "officer", "challenges", "a.csv",
     lambda: csv_bytes([JA, *[with_cell(ROW, 0, f"K-{n}") for n in range(imports.MAX_IMPORT_ROWS + 1)]]),
     {}, [(0, "", "上限")]),
    ("technology, member's own organisation", "member", "technologies", "t.csv", lambda: csv_bytes([TECH, TECH_ROW]),
     {"create": 1}, []),
    ("technology naming another organisation", "member", "technologies", "t.csv",
     lambda: csv_bytes([[*TECH, "団体"], [*TECH_ROW, "みまもりテック株式会社"]]), {"error": 1}, [(2, "団体", "自分の団体")]),
    ("coordinator without the organisation column", "coordinator", "technologies", "t.csv",
     lambda: csv_bytes([TECH, TECH_ROW]), {}, [(1, "団体", "列がありません")]),
    ("coordinator for any organisation", "coordinator", "technologies", "t.csv",
     lambda: csv_bytes([[*TECH, "団体"], [*TECH_ROW, "みまもりテック"]]), {"create": 1}, []),
]


def _user(session, who: str) -> User:
    return session.scalar(select(User).where(User.email == ACCOUNTS[who]))


def run(app, who: str, kind: str, filename: str, data: bytes) -> tuple[imports.ImportReport, bool]:
    """Stage, preview, then try to commit: (the preview's report, whether the commit went through)."""
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    try:
        user = _user(session, who)
        staged = imports.stage_import(session, actor=user, kind=kind, filename=filename, data=data)
        report = imports.preview_import(session, staged.id, actor=user)
        session.commit()
        try:
            imports.commit_import(session, staged.id, staged.sha256, actor=user)
            session.commit()
            return report, True
        except imports.ImportRefused:
            session.rollback()
            return report, False
    finally:
        session.close()


@pytest.mark.parametrize(("case", "who", "kind", "filename", "make", "outcomes", "problems"), CASES,
                         ids=[c[0] for c in CASES])
def test_import_table(demo_app, case, who, kind, filename, make, outcomes, problems) -> None:
    before = state_fingerprint(demo_app)

    with demo_app.app_context():
        report, committed = run(demo_app, who, kind, filename, make())
        found = [(p.line, p.column, str(p.message)) for p in report.all_problems]

    counts = {o: report.count(o) for o in ("create", "update", "unchanged", "error") if report.count(o)}
    assert counts == outcomes, found
    assert len(found) == len(problems), found
    for (line, column, fragment), (f_line, f_column, f_message) in zip(problems, found):
        assert (f_line, f_column) == (line, column) and fragment in f_message, found
    assert committed == (not problems)
    if problems:
        assert state_fingerprint(demo_app) == before  # a refused file changes nothing
    else:
        assert state_fingerprint(demo_app) != before


def test_the_preview_shows_how_each_value_was_read(demo_app) -> None:
    with demo_app.app_context():
        report, _ = run(demo_app, "officer", "challenges", "a.csv", csv_bytes([JA, ROW]))
        shown = {i.column: (i.raw, i.shown) for i in report.rows[0].interpretations}

    assert shown["自治体"] == ("河内長野", "河内長野市")
    assert shown["分野"] == ("移動; ヘルスケア", "移動がスムーズなまちづくり; スマートヘルスシティ")
    assert shown["予算規模"] == ("120万円", "100万〜500万円")
    assert shown["希望開始時期"] == ("2027年4月", "2027-04-01")
    assert "タイトル" not in shown  # read exactly as written


def test_problems_read_in_english(demo_app) -> None:
    with demo_app.app_context():
        report, _ = run(demo_app, "officer", "challenges", "a.csv", csv_bytes([JA, with_cell(ROW, 1, "豊中市")]))
        with force_locale("en"):
            message = str(report.rows[0].problems[0].message)

    assert "your own municipality" in message


def test_reimporting_the_same_file_changes_nothing(demo_app) -> None:
    data = csv_bytes([JA, ROW, with_cell(with_cell(ROW, 0, "K-2"), 2, "二つ目")])
    with demo_app.app_context():
        first, _ = run(demo_app, "officer", "challenges", "a.csv", data)
        versions = _versions(demo_app)
        second, committed = run(demo_app, "officer", "challenges", "a.csv", data)

    assert first.count("create") == 2
    assert (second.count("unchanged"), committed) == (2, True)
    assert _versions(demo_app) == versions


def test_a_changed_row_updates_by_its_key(demo_app) -> None:
    with demo_app.app_context():
        run(demo_app, "officer", "challenges", "a.csv", csv_bytes([JA, ROW]))
        report, _ = run(demo_app, "officer", "challenges", "a.csv", csv_bytes([JA, with_cell(ROW, 2, "坂道の移動支援")]))

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    titles = list(session.scalars(select(Challenge.title).where(Challenge.external_key == "K-1")))
    session.close()
    assert report.count("update") == 1 and titles == ["坂道の移動支援"]


def _versions(app) -> list[tuple[int, int]]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return [tuple(r) for r in session.execute(select(Challenge.id, Challenge.version).order_by(Challenge.id))]
    finally:
        session.close()


def test_one_import_is_one_audited_operation_and_feeds_the_engine(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    head_before = session.scalar(select(FeedHead.position))
    session.close()
    data = csv_bytes([JA, ROW, with_cell(ROW, 0, "K-2")])

    with demo_app.app_context():
        run(demo_app, "officer", "challenges", "a.csv", data)

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    imported = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "import:challenges")))
    created = list(session.scalars(select(Challenge.id).where(Challenge.external_key.in_(["K-1", "K-2"]))))
    head_after = session.scalar(select(FeedHead.position))
    session.close()
    assert len(imported) == 1 and sorted(imported[0].after["created"]) == sorted(created)
    assert head_after >= head_before + 2  # both new issues reached the change feed


def test_a_preview_changes_nothing_and_reaches_no_feed(demo_app) -> None:
    before = state_fingerprint(demo_app)
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    head_before = session.scalar(select(FeedHead.position))
    with demo_app.app_context():
        user = _user(session, "officer")
        staged = imports.stage_import(session, actor=user, kind="challenges", filename="a.csv",
                                      data=csv_bytes([JA, ROW]))
        imports.preview_import(session, staged.id, actor=user)
        session.commit()
    head_after = session.scalar(select(FeedHead.position))
    session.close()

    assert state_fingerprint(demo_app) == before
    assert head_after == head_before


def test_a_row_edited_after_the_preview_makes_the_commit_a_conflict(demo_app) -> None:
    with demo_app.app_context():
        run(demo_app, "officer", "challenges", "a.csv", csv_bytes([JA, ROW]))
        session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
        user = _user(session, "officer")
        staged = imports.stage_import(session, actor=user, kind="challenges", filename="a.csv",
                                      data=csv_bytes([JA, with_cell(ROW, 2, "新しい題")]))
        imports.preview_import(session, staged.id, actor=user)
        session.commit()
        # Someone saves the issue between the preview and the commit.
        challenge = session.scalar(select(Challenge).where(Challenge.external_key == "K-1"))
        challenge.target = "他の人の編集"
        session.commit()
        before = state_fingerprint(demo_app)
        with pytest.raises(imports.ImportRefused) as refused:
            imports.commit_import(session, staged.id, staged.sha256, actor=user)
        session.rollback()
        message = str(refused.value.report.rows[0].problems[0].message)
        session.close()

    assert "他の人が変更しました" in message
    assert state_fingerprint(demo_app) == before


def test_only_the_uploader_may_see_or_commit_a_staged_file(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    with demo_app.app_context():
        owner, other = _user(session, "officer"), _user(session, "coordinator")
        staged = imports.stage_import(session, actor=owner, kind="challenges", filename="a.csv",
                                      data=csv_bytes([JA, ROW]))
        imports.preview_import(session, staged.id, actor=owner)
        session.commit()
        with pytest.raises(NotFound):
            imports.preview_import(session, staged.id, actor=other)
        with pytest.raises(NotFound):
            imports.commit_import(session, staged.id, staged.sha256, actor=other)
        with pytest.raises(Conflict):
            imports.commit_import(session, staged.id, "0" * 64, actor=owner)
    session.close()


def test_a_member_cannot_import_issues(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    with demo_app.app_context(), pytest.raises(PermissionDenied):
        imports.stage_import(session, actor=_user(session, "member"), kind="challenges", filename="a.csv",
                             data=csv_bytes([JA, ROW]))
    session.close()


def test_coordinator_technology_rows_land_in_the_named_organisation(demo_app) -> None:
    with demo_app.app_context():
        run(demo_app, "coordinator", "technologies", "t.csv",
            csv_bytes([[*TECH, "団体"], [*TECH_ROW, "みまもりテック"]]))
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    owner = session.scalar(select(Organization.name).join(Technology, Technology.organization_id == Organization.id)
                           .where(Technology.external_key == "NM-9"))
    count = session.scalar(select(func.count(Technology.id)).where(Technology.external_key == "NM-9"))
    session.close()
    assert (owner, count) == ("みまもりテック株式会社", 1)
