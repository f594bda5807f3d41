"""A synthetic Japanese corpus shaped like the demo data, at national scale.

Head vocabulary: the demo corpus's own analysed terms with their real frequencies. Long tail:
random katakana words (SudachiPy reads them as unknown nouns). Word ranks follow Zipf's law
and words are joined with particles into sentences, so the analyser does realistic work.
"""

from __future__ import annotations

import random
from collections import Counter

from bench.demo_corpus import challenges, technologies
from scoring import ChallengeDoc, TechnologyDoc, TextAnalyzer

FIELDS = ("health", "elderly", "childcare", "mobility", "tourism", "manufacturing", "safety", "data",
          "admin_dx", "education", "finance", "agriculture", "environment")
REGIONS = ("大阪市", "北大阪", "東部大阪", "南河内", "泉州")
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
PARTICLES = ("の", "を", "と", "で", "に", "が", "による", "のための", "や")
# Calibrated against the demo corpus: there the ten most common terms are each in 9-15% of
# documents (their document frequencies sum to about 1.1) with about 20 content terms per
# document. s = 0.7 gives a similar sum (about 1.0) with a heavier top term (25%), so the
# products are, if anything, harder than on real text. `python -m bench.speed --calibrate`
# prints both profiles.
ZIPF_S = 0.7


def _vocabulary(rng: random.Random, tail: int) -> list[str]:
    analyzer = TextAnalyzer(synonyms=None)
    counts: Counter[str] = Counter()
    documents: list[ChallengeDoc | TechnologyDoc] = [*challenges(), *technologies()]
    for doc in documents:
        analysis = analyzer.analyze(f"{doc.title}。{doc.description}")
        counts.update(analysis.surfaces[t] for t in analysis.terms if not t.isascii())
    head = [word for word, _ in counts.most_common()]
    seen = set(head)
    words = list(head)
    while len(words) < len(head) + tail:
        word = "".join(rng.choice(KATAKANA) for _ in range(rng.randint(3, 6)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class SyntheticCorpus:
    def __init__(self, seed: int = 20261122, tail_words: int = 40_000, zipf_s: float = ZIPF_S) -> None:
        self.rng = random.Random(seed)
        self.words = _vocabulary(self.rng, tail_words)
        weights = [1.0 / (rank + 1) ** zipf_s for rank in range(len(self.words))]
        total = sum(weights)
        self.cumulative = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)

    def _text(self, words: int) -> str:
        chosen = self.rng.choices(self.words, cum_weights=self.cumulative, k=words)
        parts = []
        for i, word in enumerate(chosen):
            parts.append(word)
            parts.append("。" if i % 6 == 5 else self.rng.choice(PARTICLES))
        return "".join(parts)

    def challenge(self, i: int) -> ChallengeDoc:
        return ChallengeDoc(
            id=f"c{i}", title=self._text(4), description=self._text(self.rng.randint(14, 24)),
            fields=tuple(self.rng.sample(FIELDS, self.rng.randint(1, 2))), municipality=f"m{i % 43}",
            region=self.rng.choice(REGIONS),
        )

    def technology(self, i: int) -> TechnologyDoc:
        deployed = self.rng.sample(REGIONS, self.rng.choice((0, 0, 1, 2)))
        return TechnologyDoc(
            id=f"t{i}", title=self._text(3), description=self._text(self.rng.randint(10, 18)),
            fields=tuple(self.rng.sample(FIELDS, self.rng.randint(1, 3))), company=f"co{i % 4500}",
            maturity=self.rng.choice(("concept", "piloted", "in_service")),
            deployed_in=tuple(f"m-{r}" for r in deployed), deployed_regions=tuple(deployed),
        )
