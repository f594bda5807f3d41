import threading

import pytest

from scoring import TextAnalyzer


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("スマートフォン", "ｽﾏｰﾄﾌｫﾝ"),  # 全角/半角 katakana
        ("ＡＩ", "AI"),  # full-width Latin
        ("スマホ", "スマートフォン"),  # abbreviation, via the synonym table
        ("附属病院", "付属病院"),  # variant kanji, via SudachiPy normalisation
        ("Elderly", "elderly"),  # English case
        ("sensors", "sensor"),  # English stemming
        ("安否確認", "見守り"),  # curated synonym, multi-token
        ("高齢者", "シニア"),
        ("交通", "モビリティ"),
        ("育児", "子育て"),
        ("elderly", "高齢者"),  # English meets Japanese
    ],
)
def test_variants_meet_on_the_same_terms(analyzer: TextAnalyzer, left: str, right: str) -> None:
    # The first term is the word itself; finer pieces (高齢 in 高齢者) may follow.
    assert analyzer(left)[0] == analyzer(right)[0]


def test_particles_auxiliaries_and_symbols_are_dropped(analyzer: TextAnalyzer) -> None:
    terms = analyzer("高齢者の移動を、支援します。")

    # 高齢 is SudachiPy's finest piece of 高齢者: it counts too, so 高齢化 meets 高齢者.
    assert terms == ["高齢者", "移動", "支援", "高齢"]


def test_english_stop_words_are_dropped_and_hyphenated_short_words_kept_whole(analyzer: TextAnalyzer) -> None:
    assert analyzer("The Wi-Fi for the stations") == ["wifi", "station"]


def test_surfaces_keep_what_the_author_wrote(analyzer: TextAnalyzer) -> None:
    analysis = analyzer.analyze("一人暮らしの方の異変に気づく。AIオンデマンド交通")

    assert analysis.surfaces["見守り"] == "異変"
    assert analysis.surfaces["オンデマンド交通"] == "AIオンデマンド"


def test_long_text_is_analysed_in_slices_without_error(analyzer: TextAnalyzer) -> None:
    terms = analyzer("高齢者の見守り。" * 5000)

    assert terms.count("高齢者") == 5000


def test_threads_get_their_own_tokenizer(analyzer: TextAnalyzer) -> None:
    expected = analyzer("河内長野市のニュータウンで坂道が多く、バス路線が縮小している")
    results: list[list[str]] = []

    def work() -> None:
        for _ in range(50):
            results.append(analyzer("河内長野市のニュータウンで坂道が多く、バス路線が縮小している"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 200 and all(r == expected for r in results)


def test_synonym_table_is_data_and_can_be_replaced(tmp_path) -> None:
    table = tmp_path / "synonyms.tsv"
    table.write_text("# test\n自転車\tチャリ, bicycle\n", encoding="utf-8")

    analyzer = TextAnalyzer(synonyms=table)

    assert analyzer("bicycle") == analyzer("自転車")


def test_bulk_analysis_in_worker_processes_equals_one_document_at_a_time(analyzer, demo_challenges,
                                                                       demo_technologies, monkeypatch) -> None:
    from scoring import text

    monkeypatch.setattr(text, "_PARALLEL_FROM", 0)  # workers even for the demo's few documents
    pairs = [(d.title, d.description) for d in [*demo_challenges, *demo_technologies]]
    pairs += [("", "ＡＩ"), ("見守り", "")]

    assert analyzer.analyze_many(pairs, n_jobs=2) == [analyzer.analyze_pair(*pair) for pair in pairs]
