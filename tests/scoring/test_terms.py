"""Terms that mean something: one test per rule of the analyser's word lists (issue 8)."""

import pytest

from scoring import MatchEngine, TextAnalyzer
from scoring.explain import explain
from scoring.text import DATA_DIR

LIGHT = ["場所", "情報", "地域", "検討", "仕組み", "する", "なる", "知る", "行う", "費用", "初期", "確認", "把握", "推進", "実現"]


def _all_terms(analyzer: TextAnalyzer, text: str) -> set[str]:
    analysis = analyzer.analyze(text)
    return set(analysis.terms) | set(analysis.parts)


def test_a_one_character_suffix_never_counts_alone(analyzer: TextAnalyzer) -> None:
    terms = _all_terms(analyzer, "山間部の集落と市役所、利用者の声")

    assert not {"部", "市", "者"} & terms
    assert "山間部" in terms


def test_a_one_character_word_standing_alone_counts(analyzer: TextAnalyzer) -> None:
    assert "駅" in analyzer("駅で待つ")


@pytest.mark.parametrize("word", LIGHT)
def test_light_words_and_function_verbs_are_not_terms(analyzer: TextAnalyzer, word: str) -> None:
    assert word not in _all_terms(analyzer, f"住民が{word}ことについて")
    assert word in (DATA_DIR / "stopwords_ja.txt").read_text(encoding="utf-8").split() or word in ("する", "なる")


def test_one_lemma_is_one_term_and_is_quoted_as_the_lemma(analyzer: TextAnalyzer) -> None:
    conjugated = analyzer.analyze("荷物を運ばない")
    plain = analyzer.analyze("荷物を運ぶ")

    assert conjugated.terms == plain.terms
    assert conjugated.surfaces["運ぶ"] == "運ぶ"


def test_compounds_stay_whole_beside_their_words(analyzer: TextAnalyzer) -> None:
    analysis = analyzer.analyze("山間部で乗合タクシーを運行")

    assert "山間部" in analysis.parts and analysis.surfaces["山間部"] == "山間部"
    assert "山間" in analysis.terms


def test_english_stop_words_and_stemming(analyzer: TextAnalyzer) -> None:
    assert sorted(analyzer("We need better monitoring of the rivers")) == sorted(analyzer("river monitored"))


def test_a_brand_is_not_the_common_word(analyzer: TextAnalyzer) -> None:
    assert "LINE" in analyzer("LINEで通知")
    assert not set(analyzer("LINEで通知")) & set(analyzer("The bus line is late"))


def test_brand_list_is_data(tmp_path) -> None:
    brands = tmp_path / "brands.txt"
    brands.write_text("# none\n", encoding="utf-8")

    assert TextAnalyzer(brands=brands)("LINE") == TextAnalyzer(brands=brands)("line")


def test_reasons_never_quote_a_fragment_or_a_light_word(demo_challenges, demo_technologies) -> None:
    engine = MatchEngine(top_k=5).fit(demo_challenges, demo_technologies)
    quoted = set()
    for challenge in demo_challenges:
        for match in engine.technologies_for(challenge.id):
            for reason in explain(engine, challenge.id, match.id).terms:
                quoted |= {reason.challenge_word, reason.technology_word}

    assert quoted
    assert not quoted & set(LIGHT)
    assert all(len(word) > 1 or "\u4e00" <= word <= "\u9fff" for word in quoted)


def test_a_japanese_issue_finds_an_english_entry_for_the_same_need_and_back() -> None:
    from scoring import ChallengeDoc, TechnologyDoc

    issue = ChallengeDoc("ja", "認知症の高齢者の徘徊", "行方不明になる前に家族が居場所を知りたい", fields=("elderly",))
    english = TechnologyDoc("en", "Dementia wandering alerts", "GPS tags tell families where a senior with dementia is",
                            fields=("elderly",))
    unrelated = TechnologyDoc("other", "Tourist guide", "Multilingual sightseeing guide for visitors", fields=("tourism",))
    engine = MatchEngine().fit([issue], [english, unrelated])

    assert next(m.id for m in engine.technologies_for("ja")) == "en"
    assert [m.id for m in engine.challenges_for("en")] == ["ja"]
    assert {"認知症", "徘徊"} <= {r.challenge_word for r in explain(engine, "ja", "en").terms}


def test_a_word_and_its_pieces_are_one_reason_with_their_shares_added() -> None:
    from scoring import ChallengeDoc, TechnologyDoc

    issue = ChallengeDoc("c", "一人暮らしの高齢者", "一人暮らしの高齢者の異変に気づきたい")
    service = TechnologyDoc("t", "一人暮らし高齢者の見守り", "一人暮らしの高齢者を見守るサービス")
    engine = MatchEngine().fit([issue], [service])

    explanation = explain(engine, "c", "t")
    words = [r.challenge_word for r in explanation.terms]

    assert "一人暮らし" in words and "暮らし" not in words and "一人" not in words
    assert len(words) == len(set(words))
    total = (sum(r.share for r in explanation.terms) + explanation.other_terms_share + explanation.wording_share
             + explanation.field_share + explanation.evidence_share)
    assert abs(total - 1.0) < 1e-9


def test_full_width_and_half_width_text_score_the_same() -> None:
    from scoring import ChallengeDoc, TechnologyDoc

    issue = ChallengeDoc("c", "ＡＩで窓口の待ち時間を短く", "ｽﾏﾎから予約")
    plain = ChallengeDoc("d", "AIで窓口の待ち時間を短く", "スマホから予約")
    service = TechnologyDoc("t", "AI窓口予約", "スマホで窓口の予約と待ち時間の案内")
    engine = MatchEngine().fit([issue, plain], [service])

    assert abs(engine.score("c", "t") - engine.score("d", "t")) < 1e-12
