"""Ranking quality on the labelled development set: the engine, its ablations, and a baseline.

Prints MRR, Recall@1 and Recall@5 (a hit is any technology labelled relevant) for the engine
and, in the same run, for plain TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)) cosine.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.demo_corpus import challenges, labels, technologies
from scoring import MatchEngine, TextAnalyzer

Ranker = Callable[[], dict[str, list[str]]]


def _engine_ranker(**params) -> Ranker:  # type: ignore[no-untyped-def]
    def rank() -> dict[str, list[str]]:
        techs, chs = technologies(), challenges()
        engine = MatchEngine(top_k=len(techs), **params).fit(chs, techs)
        return {c.id: [m.id for m in engine.technologies_for(c.id)] for c in chs}

    return rank


def _char_baseline() -> dict[str, list[str]]:
    techs, chs = technologies(), challenges()
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
    vectorizer.fit([f"{d.title}\n{d.description}" for d in [*chs, *techs]])
    c_matrix = vectorizer.transform([f"{d.title}\n{d.description}" for d in chs])
    t_matrix = vectorizer.transform([f"{d.title}\n{d.description}" for d in techs])
    scores = (c_matrix @ t_matrix.T).toarray()
    return {c.id: [techs[j].id for j in np.argsort(-scores[i], kind="stable")] for i, c in enumerate(chs)}


def evaluate(ranking: dict[str, list[str]], gold: dict[str, list[str]], subset: set[str] | None = None) -> dict[str, float]:
    reciprocal, at1, at5 = [], [], []
    for challenge, relevant in gold.items():
        if subset is not None and challenge not in subset:
            continue
        ranked = ranking[challenge]
        rank = next((i + 1 for i, t in enumerate(ranked) if t in relevant), None)
        reciprocal.append(1 / rank if rank else 0.0)
        at1.append(rank == 1)
        at5.append(rank is not None and rank <= 5)
    n = len(reciprocal)
    return {"n": n, "MRR": sum(reciprocal) / n, "R@1": sum(at1) / n, "R@5": sum(at5) / n}


def main() -> int:
    gold = labels()
    chs = challenges()
    english = {c.id for c in chs if c.lang == "en"} & set(gold)
    systems: list[tuple[str, Ranker]] = [
        ("engine (default)", _engine_ranker()),
        ("engine + char 2-3-gram block (0.3)", _engine_ranker(char_ngram_weight=0.3)),
        ("engine, title weight 1", _engine_ranker(title_weight=1)),
        ("engine without synonym table", _engine_ranker(analyzer=TextAnalyzer(synonyms=None))),
        ("baseline char_wb (2,3) TF-IDF cosine", _char_baseline),
    ]
    print(f"Development set: {len(gold)} labelled challenges ({len(english)} in English), "
          f"{len(technologies())} technologies; {dt.date.today().isoformat()}")
    print(f"{'system':40} {'MRR':>6} {'R@1':>6} {'R@5':>6}   {'MRR en':>6}")
    results = {}
    for name, ranker in systems:
        ranking = ranker()
        overall = evaluate(ranking, gold)
        en = evaluate(ranking, gold, english)
        results[name] = overall
        print(f"{name:40} {overall['MRR']:6.3f} {overall['R@1']:6.3f} {overall['R@5']:6.3f}   {en['MRR']:6.3f}")
    baseline = results["baseline char_wb (2,3) TF-IDF cosine"]["MRR"]
    print(f"engine / baseline MRR ratio: {results['engine (default)']['MRR'] / baseline:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
