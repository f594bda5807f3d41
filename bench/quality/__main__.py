"""Ranking quality on real challenge-solution pairs, with weights chosen by cross-validation.

    python -m bench.quality [--dir DIR] [--folds 5] [--quick] [--smoke]

DIR holds challenges.jsonl, technologies.jsonl and gold.jsonl in the format of
../shared/eval/dev/ (the default; the env var MATCHMAKER_EVAL_DIR or --dir points elsewhere, so a
held-out set in the same format runs the same way). Records are read by scoring.batch, the code
behind `matchmaker rank`, and the shipped defaults are ranked through scoring.batch.rank itself.

For the engine and each ablation the engine's weights are chosen by k-fold cross-validation over
challenges: on each fold, the grid point with the best MRR on the other folds ranks the held-out
fold; the figures are the held-out ranks pooled over folds (every challenge is scored exactly
once, by weights that never saw its label). Baselines computed in the same run: char_wb(2,3)
TF-IDF cosine, and the word + char + field hybrid described in issue 8.

--smoke runs the demo labels (bench/quality/labels.tsv) as a smoke test only.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from scoring import MatchEngine, TextAnalyzer
from scoring.batch import rank as batch_rank
from scoring.batch import read_challenges, read_technologies
from scoring.documents import ChallengeDoc, TechnologyDoc
from scoring.engine import DEFAULTS

DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev"

# The weights cross-validation chooses among. Few, on purpose: each is a share of a score.
GRID: dict[str, tuple[float, ...]] = {
    "compound_weight": (0.0, 0.15),
    "char_ngram_weight": (0.0, 0.3, 0.45, 0.6, 0.75, 0.85),
    # BM25 on the technology side (features.Saturation); k1 0 is the cosine (b unused, one point).
    "saturation_k1": (0.0, 0.6, 1.2, 2.0),
    "saturation_b": (0.25, 0.5, 0.75),
    # Additive priors (formula.py): shares of the score; the text gets 1 - field - evidence.
    "field_weight": (0.0, 0.05, 0.1, 0.15),
    "secondary_field_cover": (0.5, 1.0),
    "evidence_weight": (0.0, 0.02),
}
PRIOR_PARAMS = ("field_weight", "secondary_field_cover", "evidence_weight")
QUICK_GRID: dict[str, tuple[float, ...]] = {"compound_weight": (0.0, 0.2), "char_ngram_weight": (0.0, 0.3),
                                            "saturation_k1": (0.0, 1.2), "field_weight": (0.0, 0.1)}

Ranking = dict[str, list[str]]


def load(directory: Path) -> tuple[list[ChallengeDoc], list[TechnologyDoc], dict[str, str]]:
    from seed import municipality_regions

    regions = municipality_regions()
    challenges = read_challenges(directory / "challenges.jsonl", region_of=regions.get)
    technologies = read_technologies(directory / "technologies.jsonl", region_of=regions.get)
    with (directory / "gold.jsonl").open(encoding="utf-8") as handle:
        gold = {r["challenge"]: r["technology"] for r in map(json.loads, filter(str.strip, handle))}
    return challenges, technologies, gold


# -- metrics --------------------------------------------------------------------------------
def ranks_of(ranking: Ranking, gold: dict[str, str]) -> dict[str, int]:
    """Rank of the gold technology per challenge (0 when it is not listed at all)."""
    return {c: (ranking[c].index(t) + 1 if t in ranking[c] else 0) for c, t in gold.items() if c in ranking}


def metrics(ranks: Sequence[int]) -> dict[str, float]:
    r = np.array(ranks, dtype=float)
    rr = np.where(r > 0, 1.0 / np.where(r > 0, r, 1), 0.0)
    return {"n": len(r), "MRR": float(rr.mean()) if len(r) else 0.0,
            "R@1": float(np.mean((r > 0) & (r <= 1))) if len(r) else 0.0,
            "R@5": float(np.mean((r > 0) & (r <= 5))) if len(r) else 0.0}


def mrr(ranks: dict[str, int], ids: Sequence[str]) -> float:
    return float(np.mean([1.0 / ranks[i] if ranks[i] else 0.0 for i in ids])) if ids else 0.0


# -- rankers --------------------------------------------------------------------------------
def _ranking_from_scores(challenges: Sequence[ChallengeDoc], technologies: Sequence[TechnologyDoc],
                         scores: np.ndarray) -> Ranking:
    # Pessimistic ties (as the dev set's baseline.py): a tie with the gold counts against it.
    ids = np.array([t.id for t in technologies])
    out = {}
    for i, c in enumerate(challenges):
        order = np.lexsort((np.arange(len(ids))[::-1], -scores[i]))
        out[c.id] = ids[order].tolist()
    return out


def _text(doc: ChallengeDoc | TechnologyDoc) -> str:
    return unicodedata.normalize("NFKC", doc.title + "\n" + doc.description)


def char_baseline(challenges, technologies) -> Ranking:  # type: ignore[no-untyped-def]
    """TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)) cosine, fitted on both sides."""
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
    vectorizer.fit([_text(d) for d in [*challenges, *technologies]])
    c = vectorizer.transform([_text(d) for d in challenges])
    t = vectorizer.transform([_text(d) for d in technologies])
    return _ranking_from_scores(challenges, technologies, (c @ t.T).toarray())


@functools.lru_cache(maxsize=1)
def _hybrid_tokenizers() -> tuple[Any, Any]:
    from sudachipy import Dictionary, SplitMode

    dictionary = Dictionary(dict="core")
    return dictionary.tokenizer(SplitMode.A), dictionary.tokenizer(SplitMode.C)


def _sudachi_words(text: str) -> list[str]:
    words = []
    for tokenizer in _hybrid_tokenizers():
        words += [m.surface() for m in tokenizer.tokenize(text) if len(m.surface().strip()) > 1]
    return words


def hybrid_baseline(challenges, technologies) -> Ranking:  # type: ignore[no-untyped-def]
    """Issue 8's naive hybrid: Sudachi words (modes A and C, one-character words dropped) TF-IDF
    cosine + char_wb(2,3) TF-IDF cosine + 0.1 when the challenge's field is one of the entry's."""
    texts_c = [_text(d) for d in challenges]
    texts_t = [_text(d) for d in technologies]
    words = TfidfVectorizer(analyzer=_sudachi_words).fit(texts_c + texts_t)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(texts_c + texts_t)
    scores = (words.transform(texts_c) @ words.transform(texts_t).T).toarray()
    scores += (chars.transform(texts_c) @ chars.transform(texts_t).T).toarray()
    agree = np.array([[bool(set(c.fields) & set(t.fields)) for t in technologies] for c in challenges])
    return _ranking_from_scores(challenges, technologies, scores + 0.1 * agree)


def engine_rankings(challenges, technologies, grid: dict[str, tuple[float, ...]],  # type: ignore[no-untyped-def]
                    analyzer: TextAnalyzer | None = None, **fixed) -> dict[tuple, Ranking]:
    """One full ranking per grid point. One engine refitted per point reuses its cached tokens."""
    engine = MatchEngine(analyzer, top_k=len(technologies), **fixed)
    names = list(grid)
    out = {}
    text_params = None
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values))
        if params.get("compound_weight", 0) + params.get("char_ngram_weight", 0) > 1:
            continue
        if params.get("saturation_k1", 1) == 0 and params.get("saturation_b", 0.25) != 0.25:
            continue  # b means nothing without saturation
        for name, value in params.items():
            setattr(engine, name, value)
        text = {k: v for k, v in params.items() if k not in PRIOR_PARAMS}
        if text == text_params:
            # Only the prior columns changed: the same vectorizers, new prior columns and lists
            # (exactly what fit computes, without fitting the vectorizers again).
            engine.layout_ = engine._layout(engine.layout_.fields, engine.layout_.regions)
            engine._set_sides(challenges, technologies)
            engine._compute_all_top_k()
        else:
            engine.fit(challenges, technologies)
            text_params = text
        out[tuple(sorted(params.items()))] = {c.id: [m.id for m in engine.technologies_for(c.id)] for c in challenges}
    return out


def folds_of(ids: Sequence[str], langs: dict[str, str], k: int) -> list[list[str]]:
    """Stratified by language, deterministic: every fold gets its share of English cases."""
    folds: list[list[str]] = [[] for _ in range(k)]
    rng = np.random.default_rng(8)
    position = 0
    for lang in sorted(set(langs.values())):
        members = [i for i in ids if langs[i] == lang]
        for i in rng.permutation(len(members)):
            folds[position % k].append(members[i])
            position += 1
    return folds


def cross_validate(rankings: dict[tuple, Ranking], gold: dict[str, str], folds: list[list[str]]
                   ) -> tuple[dict[str, int], list[tuple], list[float]]:
    """Held-out ranks pooled over folds, the point chosen per fold, and each fold's held-out MRR."""
    per_point = {point: ranks_of(ranking, gold) for point, ranking in rankings.items()}
    held_out: dict[str, int] = {}
    chosen, fold_mrr = [], []
    for fold in folds:
        train = [i for f in folds if f is not fold for i in f]
        # Ties between grid points go to the first in grid order (smaller weights: simpler).
        best = max(per_point, key=lambda p: (mrr(per_point[p], train), -list(per_point).index(p)))
        chosen.append(best)
        for i in fold:
            held_out[i] = per_point[best][i]
        fold_mrr.append(mrr(per_point[best], fold))
    return held_out, chosen, fold_mrr


# -- report ---------------------------------------------------------------------------------
def _row(name: str, ranks: dict[str, int], langs: dict[str, str], extra: str = "") -> str:
    cells = []
    for subset in ("all", "ja", "en"):
        values = [r for c, r in ranks.items() if subset == "all" or langs[c] == subset]
        m = metrics(values)
        cells.append(f"{m['MRR']:.3f} | {m['R@1']:.3f} | {m['R@5']:.3f}")
    return f"| {name} | " + " | ".join(cells) + f" | {extra} |"


def _point(point: tuple) -> str:
    return ", ".join(f"{k.replace('_weight', '').replace('char_ngram', 'char').replace('secondary_field_cover', 'secondary')}"
                     f" {v:g}" for k, v in point)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("MATCHMAKER_EVAL_DIR", DEFAULT_DIR)))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a tiny grid (for tests)")
    parser.add_argument("--smoke", action="store_true", help="the demo labels only (a smoke test)")
    args = parser.parse_args(argv)
    if args.smoke:
        return smoke()
    if not (args.dir / "gold.jsonl").exists():
        print(f"no evaluation set at {args.dir} (set MATCHMAKER_EVAL_DIR or --dir)", file=sys.stderr)
        return 2
    challenges, technologies, gold = load(args.dir)
    langs = {c.id: c.lang or "ja" for c in challenges}
    field_of = {c.id: (c.fields[0] if c.fields else "-") for c in challenges}
    ids = [c.id for c in challenges if c.id in gold]
    folds = folds_of(ids, {i: langs[i] for i in ids}, args.folds)
    grid = QUICK_GRID if args.quick else GRID
    print(f"{args.dir}: {len(ids)} challenges ({Counter(langs[i] for i in ids)}), "
          f"{len(technologies)} technologies; {args.folds}-fold CV over challenges, stratified by language")

    results: dict[str, dict[str, int]] = {}
    notes: dict[str, str] = {}
    results["baseline: char_wb(2,3) TF-IDF"] = ranks_of(char_baseline(challenges, technologies), gold)
    results["baseline: Sudachi A+C words + char_wb + 0.1 field"] = ranks_of(hybrid_baseline(challenges, technologies), gold)

    full = engine_rankings(challenges, technologies, grid)
    ablations: list[tuple[str, Callable[[tuple], bool], dict[tuple, Ranking]]] = [
        ("engine (CV over compound, char, field weights)", lambda p: True, full),
        ("- no compound block (compound 0)", lambda p: dict(p)["compound_weight"] == 0, full),
        ("- no char n-gram block (char 0)", lambda p: dict(p)["char_ngram_weight"] == 0, full),
        ("- cosine on both sides, no BM25 (k1 0)", lambda p: dict(p)["saturation_k1"] == 0, full),
        ("- no field prior (field 0)", lambda p: dict(p)["field_weight"] == 0, full),
        ("- every field of an entry alike (secondary 1)", lambda p: dict(p).get("secondary_field_cover", 1) == 1, full),
        ("- no track-record prior (evidence 0)", lambda p: dict(p).get("evidence_weight", 0) == 0, full),
        ("- words only (compound 0, char 0)", lambda p: dict(p)["compound_weight"] == 0 and dict(p)["char_ngram_weight"] == 0, full),
    ]
    if not args.quick:
        # These two refit the engine per point with another analyser or title weight: the block
        # choices (compound, saturation) stay at the shipped ones, the weights are chosen as above.
        small = dict(grid, compound_weight=(DEFAULTS["compound_weight"],), saturation_k1=(DEFAULTS["saturation_k1"],),
                     saturation_b=(DEFAULTS["saturation_b"],))
        ablations.append(("- no synonym table", lambda p: True,
                          engine_rankings(challenges, technologies, small, TextAnalyzer(synonyms=None))))
        ablations.append(("- title counted twice (title_weight 2)", lambda p: True,
                          engine_rankings(challenges, technologies, small, title_weight=2)))
    choices: dict[str, list[tuple]] = {}
    for name, keep, rankings in ablations:
        subset = {p: r for p, r in rankings.items() if keep(p)}
        held, chosen, fold_mrr = cross_validate(subset, gold, folds)
        results[name] = held
        choices[name] = chosen
        notes[name] = f"fold MRR {np.mean(fold_mrr):.3f} ± {np.std(fold_mrr):.3f}"

    # The shipped defaults, through scoring.batch.rank (the code behind `matchmaker rank`).
    shipped_results = list(batch_rank(challenges, technologies, len(technologies)))
    shipped = {r["challenge"]: [m["technology"] for m in r["matches"]] for r in shipped_results}
    results["shipped defaults via matchmaker rank (not CV: chosen on all of dev)"] = ranks_of(shipped, gold)

    print("\n| system | MRR | R@1 | R@5 | MRR ja | R@1 ja | R@5 ja | MRR en | R@1 en | R@5 en | note |")
    print("|---|" + "---:|" * 9 + "---|")
    for name, ranks in results.items():
        print(_row(name, ranks, langs, notes.get(name, "")))

    print("\nPer field (MRR; n): engine (CV) / char_wb / hybrid")
    engine_ranks = results["engine (CV over compound, char, field weights)"]
    for field in sorted({field_of[i] for i in ids}):
        members = [i for i in ids if field_of[i] == field]
        cells = [f"{mrr(results[n], members):.3f}" for n in ("engine (CV over compound, char, field weights)",
                                                          "baseline: char_wb(2,3) TF-IDF",
                                                          "baseline: Sudachi A+C words + char_wb + 0.1 field")]
        print(f"  {field:14} n={len(members):2}  " + " / ".join(cells))

    print("\nWeights chosen on each fold's training challenges:")
    for name, chosen in choices.items():
        counts = Counter(chosen)
        print(f"  {name}: " + "; ".join(f"{_point(p)} x{n}" for p, n in counts.most_common()))
    print(f"\nShipped defaults (scoring.engine.DEFAULTS): {DEFAULTS}")
    calibrate_strength(shipped_results, gold)
    worst = sorted((r if r else 10**6, i) for i, r in engine_ranks.items())[-5:]
    print("Hardest challenges for the engine (held-out rank): " + ", ".join(f"{i} {r}" for r, i in reversed(worst)))
    return 0


def calibrate_strength(results: list[dict], gold: dict[str, str], top: int = 20) -> None:
    """How the real partner and the other entries of each top-20 list fall into the labels."""
    from scoring.strength import MEDIUM_RATIO, STRONG_RATIO, strengths

    gold_ratio: list[float] = []
    other_ratio: list[float] = []
    gold_labels: Counter[str] = Counter()
    other_labels: Counter[str] = Counter()
    lists = [r for r in results if r["challenge"] in gold]
    for result in lists:
        matches = result["matches"][:top]
        if not matches:
            continue
        best = matches[0]["score"]
        for match, label in zip(matches, strengths([m["score"] for m in matches])):
            is_gold = match["technology"] == gold[result["challenge"]]
            (gold_ratio if is_gold else other_ratio).append(match["score"] / best)
            (gold_labels if is_gold else other_labels)[label] += 1
    n = len(lists)
    print(f"\nStrength calibration on top-{top} lists (score / best score of the list):")
    for cut in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        g = float(np.mean(np.array(gold_ratio) >= cut)) if gold_ratio else 0.0
        print(f"  ratio >= {cut}: {g:.0%} of real partners, {sum(r >= cut for r in other_ratio) / n:.1f} other entries per list")
    print(f"  shipped labels (strong >= {STRONG_RATIO}, medium >= {MEDIUM_RATIO}): real partners "
          + ", ".join(f"{k} {gold_labels[k]}" for k in ("strong", "medium", "weak"))
          + f" (of {n}; {n - sum(gold_labels.values())} outside the top {top}); others per list "
          + ", ".join(f"{k} {other_labels[k] / n:.1f}" for k in ("strong", "medium", "weak")))


def smoke() -> int:
    """The demo labels: written together with the demo data, so a smoke test, not a measure."""
    from bench.demo_corpus import challenges, labels, technologies

    gold = labels()
    techs, chs = technologies(), challenges()
    engine = MatchEngine(top_k=len(techs)).fit(chs, techs)
    reciprocal = []
    for challenge, relevant in gold.items():
        ranked = [m.id for m in engine.technologies_for(challenge)]
        rank = next((i + 1 for i, t in enumerate(ranked) if t in relevant), None)
        reciprocal.append(1 / rank if rank else 0.0)
    print(f"demo labels (smoke test only): {len(gold)} challenges, MRR {np.mean(reciprocal):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
