import pytest

from bench.demo_corpus import challenges, technologies
from scoring import MatchEngine, TextAnalyzer


@pytest.fixture(scope="session")
def analyzer() -> TextAnalyzer:
    return TextAnalyzer()


@pytest.fixture(scope="session")
def demo_challenges():
    return challenges()


@pytest.fixture(scope="session")
def demo_technologies():
    return technologies()


@pytest.fixture
def engine(analyzer, demo_challenges, demo_technologies) -> MatchEngine:
    return MatchEngine(analyzer, top_k=10).fit(demo_challenges, demo_technologies)
