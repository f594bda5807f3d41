import pytest

from scoring.strength import MEDIUM, MIN_SCORE, STRONG, WEAK, strength, strengths


@pytest.mark.parametrize(
    ("score", "best", "label"),
    [
        (0.30, 0.30, STRONG),  # the best of its list
        (0.27, 0.30, STRONG),  # 90% of the best
        (0.26, 0.30, MEDIUM),
        (0.18, 0.30, MEDIUM),  # 60% of the best
        (0.17, 0.30, WEAK),
        (MIN_SCORE / 2, MIN_SCORE / 2, WEAK),  # the best of a list of near-nothing is still weak
        (0.0, 0.0, WEAK),
    ],
)
def test_label_depends_on_the_share_of_the_best_score(score: float, best: float, label: str) -> None:
    assert strength(score, best) == label


def test_a_list_is_labelled_against_its_own_best() -> None:
    assert strengths([0.1, 0.4, 0.37, 0.25, 0.05]) == [WEAK, STRONG, STRONG, MEDIUM, WEAK]
    assert strengths([]) == []
