"""Search boxes: words split on spaces, 全角/半角 and kana folded, synonyms, relevance, fuzzy names only."""

from __future__ import annotations

import pytest

from matchmaker.queries import catalogue as reads
from matchmaker.search import matches
from models import Role
from tests import factories

ISSUES = {
    "elderly": ("一人暮らし高齢者の見守り", "独居の高齢者を見守るセンサーを設置したい。"),
    "mimamori": ("みまもり訪問の負担", "民生委員による訪問の負担が大きい。"),
    "sensor": ("河川の水位センサー", "大雨のときの水位を知りたい。"),
    "lpwa": ("LPWAによる検針", "水道メーターをLPWAで読みたい。"),
    "bus": ("コミュニティバスの再編", "利用の少ない路線を見直したい。"),
    "stretch": ("健康寿命を伸ばす", "運動の機会を増やしたい。"),
    "connect": ("地域をconnectする", "住民同士をつなぎたい。"),
    "child": ("子育て相談のオンライン化", "相談の予約をオンラインで受けたい。"),
}

CASES = [
    # query, found, not found
    ("高齢者 見守り", {"elderly"}, {"sensor", "mimamori", "bus"}),
    ("高齢者\u3000見守り", {"elderly"}, {"sensor", "bus"}),      # a 全角 space
    ("見守り センサー", {"elderly"}, {"sensor", "lpwa"}),         # both words, in any field
    ("ＬＰＷＡ", {"lpwa"}, {"bus"}),
    ("lpwa", {"lpwa"}, set()),
    ("ﾊﾞｽ", {"bus"}, {"stretch"}),                                 # not 伸ばす
    ("みまもり", {"mimamori", "elderly"}, {"child"}),              # the synonym table
    ("ミマモリ", {"mimamori", "elderly"}, {"child"}),              # katakana typed
    ("ＮＥＣ", set(), {"connect"}),                                # whole words for short Latin
    ("オンライン 子育て", {"child"}, {"elderly"}),
    ("見守り 子育て", set(), set(ISSUES)),                          # every word must match
]


@pytest.fixture
def searchable(app, db_session):
    place = factories.municipality(db_session, "豊中市")
    ids = {key: factories.make_challenge(db_session, place, title=title, description=description).id
           for key, (title, description) in ISSUES.items()}
    admin = factories.make_user(db_session, Role.ADMIN)
    db_session.commit()
    with app.app_context():
        yield lambda q: reads.challenge_list(db_session, admin, {"q": q}, 1), ids


@pytest.mark.parametrize(("query", "found", "not_found"), CASES)
def test_search_words(searchable, query, found, not_found) -> None:
    search, ids = searchable
    result = {c.id for c in search(query).items}
    assert {ids[k] for k in found} <= result
    assert not {ids[k] for k in not_found} & result


def test_search_ranks_the_title_before_the_text_and_before_synonyms(searchable) -> None:
    search, ids = searchable
    ranked = [c.id for c in search("見守り").items]
    # 見守り in the title, before みまもり (a synonym) in the other title.
    assert ranked.index(ids["elderly"]) < ranked.index(ids["mimamori"])


def test_search_by_municipality_name_with_other_words(searchable) -> None:
    search, ids = searchable
    assert ids["bus"] in {c.id for c in search("豊中 バス").items}
    assert ids["bus"] in {c.id for c in search("toyonaka バス").items}
    assert not {c.id for c in search("sakai バス").items}


NAMES = [
    # query, names, matches
    ("sakai", ("大阪市", "おおさかし", "Osaka"), False),
    ("sakai", ("大阪狭山市", "おおさかさやまし", "Osakasayama"), False),
    ("sakai", ("堺市", "さかいし", "Sakai"), True),
    ("sakia", ("堺市", "さかいし", "Sakai"), True),         # five letters: one typo forgiven
    ("saka", ("堺市", "さかいし", "Sakai"), True),          # the start of a word
    ("sakii", ("大阪市", "おおさかし", "Osaka"), False),
    ("kawachinagani", ("河内長野市", "かわちながのし", "Kawachinagano"), True),
    ("kawachi", ("河内長野市", "かわちながのし", "Kawachinagano"), True),
    ("ＮＥＣ", ("coNNECt株式会社", "", "coNNECt Inc."), False),
    ("ＮＥＣ", ("日本電気", "", "NEC Corporation"), True),
    ("河内長野", ("河内長野市", "かわちながのし", "Kawachinagano"), True),
    ("河内長の", ("河内長野市", "かわちながのし", "Kawachinagano"), True),
    ("カワチ", ("河内長野市", "かわちながのし", "Kawachinagano"), True),
    ("大阪", ("大阪狭山市", "おおさかさやまし", "Osakasayama"), True),
]


@pytest.mark.parametrize(("query", "names", "expected"), NAMES)
def test_name_matching(query, names, expected) -> None:
    assert matches(query, names) is expected


def test_the_name_index_finds_what_matching_every_name_finds() -> None:
    """The index answers without a pass over the names; it must answer the same: every query of
    the table above and more against all their names (and two Osaka municipalities' rows)."""
    from matchmaker.search import NameIndex, matching_ids

    candidates = [(n, names) for n, (_, names, _) in enumerate(NAMES)]
    candidates += [(100, ("豊中市", "とよなかし", "Toyonaka")), (101, ("堺市", "さかいし", "Sakai")),
                   (102, ("みまもりテック株式会社", "みまもりてっく", "Mimamori Tech Inc.")), (103, ("", "", ""))]
    index = NameIndex(candidates)
    queries = {q for q, _, _ in NAMES} | {"toyo", "toyonaka", "toyonakq", "tyonaka", "osaka", "osak", "inc", "nec",
                                          "みまもり", "ミマモリ", "みまもりてつく", "市", "さかい", "とよなか市", "tech",
                                          "techn", "tehcn", "x", "株式会社", "大阪さやま", "kawachinagan0"}
    found_any = 0
    for query in sorted(queries):
        expected = matching_ids(query, candidates)
        assert index.ids(query) == expected, query
        found_any += bool(expected)
    assert found_any > len(queries) // 2
