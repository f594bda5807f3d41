"""The issue and technology lists page by keyset: following the page links shows every row once,
in order, while rows are added meanwhile; the previous links come back to the same pages; a
cursor the list never wrote is a 400."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from matchmaker.queries.catalogue import PER_PAGE
from matchmaker.queries.paging import BadCursor, cursor, parse_cursor
from models import Challenge, Role, Technology
from tests import factories

ROWS = PER_PAGE * 3 + 7
START = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


def _issues(session: Session, n: int, label: str) -> list[Any]:
    place = factories.municipality(session, "堺市")
    return [factories.make_challenge(session, place, title=f"{label}{i:03d}") for i in range(n)]


def _technologies(session: Session, n: int, label: str) -> list[Any]:
    company = factories.make_organization(session)
    return [factories.make_technology(session, company, title=f"{label}{i:03d}") for i in range(n)]


LISTS: dict[str, tuple[str, Any, Callable[[Session, int, str], list[Any]]]] = {
    "challenges": ("/challenges", Challenge, _issues),
    "technologies": ("/technologies", Technology, _technologies),
}


def _ids(page: str, path: str) -> list[int]:
    return [int(i) for i in re.findall(rf'class="card__title"><a href="{path}/(\d+)"', page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_following_the_pages_shows_every_row_once_while_rows_are_added(app, client, db_session, kind: str) -> None:
    path, model, make = LISTS[kind]
    session = db_session
    rows = make(session, ROWS, "古い")
    # Times a second apart, newest last, and a run of equal times (the id breaks the tie).
    for n, row in enumerate(rows):
        moment = START + dt.timedelta(seconds=n if n < 30 or n > 40 else 30)
        session.execute(update(model).where(model.id == row.id).values(updated_at=moment))
    viewer = factories.make_user(session, Role.ADMIN)
    session.commit()
    expected = [r.id for r in sorted(rows, key=lambda r: (min(rows.index(r), 30) if rows.index(r) <= 40
                                                          else rows.index(r), r.id), reverse=True)]
    client.post("/login", data={"email": viewer.email, "password": factories.PASSWORD})

    seen: list[list[int]] = []
    links: list[str] = []
    url: str | None = path
    while url is not None:
        page = client.get(url)
        assert page.status_code == 200, url
        seen.append(_ids(page.text, path))
        links.append(url)
        url = _link(page.text, "next")
        make(session, 2, f"新しい{len(seen)}")  # newer rows arrive while someone pages
        session.commit()

    assert [i for ids in seen for i in ids] == expected  # none twice, none left out, in order
    assert len(seen) == 4 and all(len(ids) == PER_PAGE for ids in seen[:-1])
    # Going back from the last page returns the same pages (the newest rows wait on page 1).
    back = client.get(links[-1]).text
    for index in range(len(seen) - 2, 0, -1):
        url = _link(back, "prev")
        assert url is not None and "before=" in url
        back = client.get(url).text
        assert _ids(back, path) == seen[index]
    first = _link(back, "prev")
    assert first is not None and "before=" not in first and "after=" not in first
    assert _ids(client.get(first).text, path)[:2] != seen[0][:2]  # page 1 itself shows the new rows


@pytest.mark.parametrize("kind", sorted(LISTS))
@pytest.mark.parametrize("value", ["x", "20260501090000000000", "20261399000000000000.5", "1.2", "20260501090000000000.-1",
                                   # past PostgreSQL's integer ids (a 500 there before)
                                   "20261129000000000000.2147483648", "20261129000000000000.999999999999999999"])
def test_a_cursor_the_list_never_wrote_is_refused(app, client, db_session, kind: str, value: str) -> None:
    viewer = factories.make_user(db_session, Role.ADMIN)
    db_session.commit()
    client.post("/login", data={"email": viewer.email, "password": factories.PASSWORD})
    for name in ("after", "before"):
        assert client.get(LISTS[kind][0], query_string={name: value}).status_code == 400


def test_a_cursor_round_trips_to_the_microsecond_in_utc() -> None:
    moment = dt.datetime(2026, 5, 1, 18, 0, 1, 250, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert parse_cursor(cursor(moment, 42)) == (moment.astimezone(dt.UTC), 42)
    assert parse_cursor(cursor(moment.astimezone(dt.UTC).replace(tzinfo=None), 42)) == (moment, 42)
    with pytest.raises(BadCursor):
        parse_cursor("")
    # Digits of other scripts are digits to `\d` and int(), never to a cursor we wrote.
    for foreign in ("20261129150030771041.\u0664\u0663", "2026112915003077104\u0661.43"):
        with pytest.raises(BadCursor):
            parse_cursor(foreign)
