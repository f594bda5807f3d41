"""How coordinators' pairs merge into the built-in synonym table the engine reads."""

from __future__ import annotations

from matchmaker.vocabulary import merged_table

BUILT_IN = "# comment\n高齢者\tシニア, elderly\n子ども\t児童\n"


def _groups(text: str) -> list[list[str]]:
    return [[line.split("\t")[0], *line.split("\t")[1].split(", ")] for line in text.splitlines()]


def test_a_pair_of_new_words_starts_a_group_under_its_term() -> None:
    assert _groups(merged_table(BUILT_IN, [("ヒヤリハット", "ニアミス")]))[-1] == ["ヒヤリハット", "ニアミス"]


def test_a_new_word_joins_the_group_of_the_word_already_known_in_either_position() -> None:
    groups = _groups(merged_table(BUILT_IN, [("お年寄り", "シニア"), ("ＥＬＤＥＲＬＹ", "老人")]))

    assert groups[0] == ["高齢者", "シニア", "elderly", "お年寄り", "老人"]
    assert len(groups) == 2


def test_a_pair_across_two_groups_merges_them_under_the_first_term() -> None:
    groups = _groups(merged_table(BUILT_IN, [("児童", "シニア")]))

    assert groups == [["子ども", "児童", "高齢者", "シニア", "elderly"]]


def test_a_changed_word_list_gives_a_new_vocabulary_key(tmp_path) -> None:
    """A release that adds a light word must not leave saved states with the old terms: the key
    (saved beside a state, compared at load) moves, and a moved key asks for a refit."""
    import shutil

    from matchmaker.vocabulary import WORD_LISTS, word_lists_key
    from scoring.text import DATA_DIR

    for name in WORD_LISTS:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    before = word_lists_key(tmp_path)
    assert word_lists_key(DATA_DIR) == before  # content, not place

    word_lists_key.cache_clear()
    with (tmp_path / "stopwords_ja.txt").open("a", encoding="utf-8") as words:
        words.write("新語\n")

    assert word_lists_key(tmp_path) != before
