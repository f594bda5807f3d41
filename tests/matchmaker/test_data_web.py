"""Imports and exports over HTTP: round trips in CSV and .xlsx, the upload limits, what exports hold."""

from __future__ import annotations

import csv
import http.client
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import openpyxl
import pytest
from sqlalchemy import select

from matchmaker.actions import imports
from models import Challenge, Municipality, Organization, StagedImport, Technology, User
from scoring.spreadsheet import unsafe_cell

from .web import ACCOUNTS, login, state_fingerprint

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FORMULA_TITLE = '=HYPERLINK("https://evil.example","x")'


BOUNDARY = "----matchmaker-test"


def multipart(data: bytes, filename: str) -> bytes:
    """The body a browser sends. Built here rather than by the test client, which spools large
    bodies to a temporary file that nothing closes (a ResourceWarning under -W error)."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(client, kind: str, data: bytes, filename: str):
    return client.post(f"/imports/{kind}", data=multipart(data, filename),
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def upload_and_commit(client, kind: str, data: bytes, filename: str):
    """(preview page, commit response) for a file."""
    response = upload(client, kind, data, filename)
    assert response.status_code == 302, response.text[:2000]
    preview = client.get(response.headers["Location"])
    sha = re.search(r'name="sha256" value="(\w+)"', preview.text)
    if sha is None:
        return preview, None
    return preview, client.post(response.headers["Location"] + "/commit", data={"sha256": sha.group(1)})


def rows_of(data: bytes, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _own_ids(app, who: str) -> tuple[int | None, int | None]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    user = session.scalar(select(User).where(User.email == ACCOUNTS[who]))
    session.close()
    return user.municipality_id, user.organization_id


def _make_tricky_rows(app) -> None:
    """Values an export must not lose: a formula-looking title, an apostrophe, a line break, 全角."""
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    kawachinagano = session.scalar(select(Municipality).where(Municipality.name == "河内長野市"))
    challenge = session.scalar(select(Challenge).where(Challenge.municipality_id == kawachinagano.id))
    challenge.title = FORMULA_TITLE
    challenge.description = "'quoted\n二行目 －１"
    organization = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
    technology = session.scalar(select(Technology).where(Technology.organization_id == organization.id))
    technology.title = "@mention +81"
    session.commit()
    session.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("who", "kind", "owner_arg"), [("officer", "challenges", "municipality"),
                                                       ("member", "technologies", "organization_id")])
def test_export_then_import_gives_the_same_data(demo_app, fmt, who, kind, owner_arg) -> None:
    _make_tricky_rows(demo_app)
    client = login(demo_app.test_client(), who)
    municipality_id, organization_id = _own_ids(demo_app, who)
    owner = municipality_id if owner_arg == "municipality" else organization_id
    exported = client.get(f"/exports/{kind}.{fmt}?{owner_arg}={owner}")
    assert exported.status_code == 200
    before = state_fingerprint(demo_app)

    preview, committed = upload_and_commit(client, kind, exported.data, f"export.{fmt}")

    rows = rows_of(exported.data, fmt)
    assert len(rows) > 1
    assert "問題あり" not in preview.text, preview.text
    assert f"変更なし</dt><dd>{len(rows) - 1}" in preview.text.replace("\n", "")
    assert committed is not None and committed.status_code == 302
    assert state_fingerprint(demo_app)[1:] == before[1:]  # only the import's own audit row is new
    again = client.get(f"/exports/{kind}.{fmt}?{owner_arg}={owner}")
    assert rows_of(again.data, fmt) == rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_imported_rows_export_as_they_were_written(demo_app, fmt) -> None:
    client = login(demo_app.test_client(), "officer")
    municipality_id, _ = _own_ids(demo_app, "officer")
    header = ["外部キー", "タイトル", "説明", "分野", "予算規模", "希望開始時期", "公開状態"]
    written = [["R-1", FORMULA_TITLE, "一行目\n'二行目", "移動; 高齢者", "100万円未満", "2027-04-01", "受付中"],
               ["R-2", "'apostrophe", "-1から始まる", "行政DX", "未定", "", "下書き"]]
    data = io.StringIO()
    csv.writer(data, lineterminator="\r\n").writerows([header, *written])
    _, committed = upload_and_commit(client, "challenges", data.getvalue().encode("utf-8"), "new.csv")
    assert committed is not None and committed.status_code == 302

    raw = rows_of(client.get(f"/exports/challenges.{fmt}?municipality={municipality_id}").data, fmt)

    by_key = {row[0]: dict(zip(raw[0], [unsafe_cell(c) for c in row], strict=True)) for row in raw[1:]}
    for row in written:
        got = by_key[row[0]]
        assert [got[h] for h in ("タイトル", "説明", "予算規模", "希望開始時期", "公開状態")] == [
            row[1], row[2], row[4], row[5], row[6]]
    assert by_key["R-1"]["分野"] == "高齢者にやさしいまちづくり; 移動がスムーズなまちづくり"  # in the fields' order
    # In the file itself no cell can run as a formula.
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in raw for cell in r)


def test_xlsx_export_stores_no_formula(demo_app) -> None:
    _make_tricky_rows(demo_app)
    client = login(demo_app.test_client(), "admin")

    data = client.get("/exports/challenges.xlsx").data

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert "'" + FORMULA_TITLE in [cell.value for cell in cells]


def test_exports_hold_only_what_the_viewer_may_open(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    drafts = list(session.scalars(select(Challenge.title).where(Challenge.status == "draft",
                                                                Challenge.municipality.has(name="四條畷市"))))
    session.close()
    assert drafts
    officer = login(demo_app.test_client(), "officer")
    coordinator = login(demo_app.test_client(), "coordinator")

    officer_titles = {row[3] for row in rows_of(officer.get("/exports/challenges.csv").data, "csv")}
    coordinator_titles = {row[3] for row in rows_of(coordinator.get("/exports/challenges.csv").data, "csv")}

    assert not officer_titles & set(drafts)
    assert set(drafts) <= coordinator_titles
    # Projects: the officer's export lists exactly the projects of the project list page.
    projects = rows_of(officer.get("/exports/projects.csv").data, "csv")[1:]
    page = officer.get("/projects").text
    assert projects and all(title in page for _, title, *_ in projects)


def test_an_empty_upload_is_a_form_error_and_stages_nothing(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = upload(client, "challenges", b"", "empty.csv")

    assert response.status_code == 400
    assert "ファイルが空です" in response.text or "ファイルを選んでください" in response.text
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert session.scalar(select(StagedImport.id)) is None
    session.close()


def test_a_100_mb_upload_gets_a_413_page(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    before = state_fingerprint(demo_app)

    response = upload(client, "challenges", b"a" * (100 * 1024 * 1024), "huge.csv")

    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.text and "2 MB" in response.text
    assert state_fingerprint(demo_app) == before


def test_a_file_just_over_the_import_limit_is_refused_by_the_action(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = upload(client, "challenges", b"a" * (imports.MAX_IMPORT_BYTES + 10), "big.csv")

    assert response.status_code == 400
    assert "ファイルが大きすぎます" in response.text


def test_a_100_mb_upload_to_gunicorn_is_answered_not_reset(tmp_path, demo_db_template) -> None:
    """Over a socket to the production server, as a browser sends it, CSRF protection on: the 413
    page arrives instead of a connection reset (gunicorn resets a connection whose body was left
    unread; and CSRF protection reads the form, so the upload limit must act before it)."""
    database = tmp_path / "db.sqlite3"
    shutil.copy(demo_db_template, database)
    port = _free_port()
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "MATCHMAKER_DATABASE_URL": f"sqlite:///{database}",
                   "MATCHMAKER_SECRET_KEY": "upload-test", "MATCHMAKER_INSTANCE_PATH": str(tmp_path / "instance")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        began = time.monotonic()
        while True:
            try:
                cookie, token = _signed_in(port)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() - began < 60, "gunicorn did not come up"
                time.sleep(0.2)
        head, tail = multipart(b"|", "huge.csv").split(b"|")
        head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                ).encode() + head
        size = 100 * 1024 * 1024
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.putrequest("POST", "/imports/challenges")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
        connection.putheader("Content-Length", str(len(head) + size + len(tail)))
        connection.putheader("Cookie", cookie)
        connection.endheaders()
        connection.send(head)
        chunk = b"a" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            connection.send(chunk)
        connection.send(tail)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
    finally:
        server.terminate()
        server.wait(30)
    assert response.status == 413
    assert "ファイルが大きすぎます。2 MB以下のファイルを選んでください" in body


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _signed_in(port: int) -> tuple[str, str]:
    """(session cookie, CSRF token) of the officer, signed in through the login form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(path: str, cookie: str = "") -> tuple[str, str]:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read().decode()
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        assert found is not None
        return _cookie(response) or cookie, found.group(1)

    try:
        cookie, token = get("/login")
        body = urlencode({"csrf_token": token, "email": ACCOUNTS["officer"], "password": "demo-officer-2026"})
        connection.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = connection.getresponse()
        response.read()
        assert response.status == 302
        cookie = _cookie(response) or cookie
        return get("/imports/challenges", cookie)
    finally:
        connection.close()


def _cookie(response: http.client.HTTPResponse) -> str:
    return "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])


def test_committing_twice_is_a_conflict(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    data = "外部キー,タイトル,説明,分野\r\nT-1,題,説明,移動\r\n".encode()
    response = upload(client, "challenges", data, "a.csv")
    location = response.headers["Location"]
    found = re.search(r'name="sha256" value="(\w+)"', client.get(location).text)
    assert found is not None
    sha = found.group(1)

    first = client.post(location + "/commit", data={"sha256": sha})
    before = state_fingerprint(demo_app)
    second = client.post(location + "/commit", data={"sha256": sha})

    assert first.status_code == 302 and second.status_code == 409
    assert state_fingerprint(demo_app) == before


def test_another_users_staged_import_is_not_found(demo_app) -> None:
    owner = login(demo_app.test_client(), "officer")
    location = upload(owner, "challenges", "外部キー,タイトル,説明,分野\r\nT-1,題,説明,移動\r\n".encode(),
                      "a.csv").headers["Location"]
    other = login(demo_app.test_client(), "officer_toyonaka")

    assert other.get(location).status_code == 404
    assert other.post(location + "/commit", data={"sha256": "0" * 64}).status_code == 404


def test_the_preview_page_in_english(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    client.post("/language", data={"lang": "en", "next": "/data"})
    data = "外部キー,自治体,タイトル,説明,分野\r\nT-1,豊中市,題,説明,移動\r\n".encode()

    page = client.get(upload(client, "challenges", data, "a.csv").headers["Location"])

    assert "You can import only your own municipality’s issues." in page.text
    assert "How each row was read" in page.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_import_as_they_are(demo_app, fmt) -> None:
    client = login(demo_app.test_client(), "coordinator")
    for kind in ("challenges", "technologies"):
        template = client.get(f"/imports/{kind}/template.{fmt}")
        assert template.status_code == 200
        preview, committed = upload_and_commit(client, kind, template.data, f"template.{fmt}")
        if kind == "technologies":
            # The template leaves the organisation blank: a coordinator must name one.
            assert "団体を書いてください" in preview.text and committed is None
        else:
            assert committed is not None and committed.status_code == 302, preview.text


def test_questions_export_hides_unanswered_questions_and_askers_from_outsiders(demo_app) -> None:
    from matchmaker.actions import questions as question_actions

    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    with demo_app.app_context():
        member = session.scalar(select(User).where(User.email == ACCOUNTS["member"]))
        officer = session.scalar(select(User).where(User.email == ACCOUNTS["officer"]))
        challenge = session.scalar(select(Challenge).where(Challenge.municipality_id == officer.municipality_id,
                                                           Challenge.status == "open").order_by(Challenge.id))
        answered = question_actions.ask(session, challenge.id, actor=member, body="坂の勾配のデータはありますか")
        session.flush()
        question_actions.answer(session, answered.id, actor=officer, text="あります", expected_version=answered.version)
        question_actions.ask(session, challenge.id, actor=member, body="予算の上限は未定ですか")
        session.commit()
    session.close()
    outsider = login(demo_app.test_client(), "member_mimamori")
    asker = login(demo_app.test_client(), "member")

    seen_by_outsider = rows_of(outsider.get("/exports/questions.csv").data, "csv")
    seen_by_asker = rows_of(asker.get("/exports/questions.csv").data, "csv")

    outsider_questions = {row[4]: row for row in seen_by_outsider[1:]}
    asker_questions = {row[4]: row for row in seen_by_asker[1:]}
    assert "予算の上限は未定ですか" not in outsider_questions and "予算の上限は未定ですか" in asker_questions
    assert outsider_questions["坂の勾配のデータはありますか"][5] == ""  # the asking company is not named
    assert asker_questions["坂の勾配のデータはありますか"][5] == "なにわモビリティ株式会社"


class _CountingBody(io.BytesIO):
    """A request body of `size` bytes that counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        super().__init__(b"a" * size)
        self.size, self.read_bytes = size, 0

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.read_bytes += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        n = super().readinto(buffer)
        self.read_bytes += n
        return n

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.read_bytes += len(line)
        return line


@pytest.mark.parametrize(("who", "drained"), [(None, False), ("officer", True)])
def test_an_oversize_upload_is_read_to_its_end_only_for_signed_in_people(demo_app, who, drained: bool) -> None:
    client = demo_app.test_client() if who is None else login(demo_app.test_client(), who)
    body = _CountingBody(20 * 1024 * 1024)

    response = client.post("/imports/challenges", input_stream=body,
                           headers={"Content-Type": "multipart/form-data; boundary=x",
                                    "Content-Length": str(body.size)})

    assert response.status_code == 413
    # Drained, a browser shows the 413 page; an anonymous client cannot make a worker read 256 MB.
    assert (body.read_bytes == body.size) if drained else (body.read_bytes == 0)
