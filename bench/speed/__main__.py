"""Speed at national scale: 20,000 challenges x 100,000 technologies on this machine.

Every figure is printed with its ratio to a plain baseline measured in the same run:
  - tokenising: the engine's analyser vs scikit-learn's char_wb (2, 3) analyser (the plain
    approach the quality benchmark compares against), chars/s;
  - fit: engine fit (tokenising, vectors, both directions' top-20) vs the same token lists
    through a plain TfidfVectorizer plus chunked scipy products for both directions;
  - all pairs: sparse_dot_topn on the expanded vectors vs chunked one-thread scipy products of
    the same vectors with argpartition, and the top-20 of both are compared row by row;
  - one new challenge: engine query vs `T @ q.T` in scipy, median and p95;
  - one posting: engine upsert (both directions' lists) vs a scipy product plus a numpy
    update of the 20,000 x 20 table, median and p95;
  - peak memory of the process during the all-pairs run (VmHWM, reset before it);
  - `matchmaker rank` end to end (5,000 x 50,000, top-20 with reasons) vs the naive char_wb peer,
    each its own process (bench/speed/batch.py).

    python -m bench.speed [--challenges N] [--technologies N] [--calibrate]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import time
from collections import Counter
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.speed.corpus import SyntheticCorpus
from scoring import ChallengeDoc, MatchEngine, TechnologyDoc, TextAnalyzer
from scoring.engine import CHALLENGE, TECHNOLOGY

TOP = 20


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _scipy_top_k(queries: sp.csr_matrix, against_t: sp.csr_matrix, k: int,
                 chunk: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """Plain baseline: chunked one-thread products, dense rows, argpartition."""
    ids = np.empty((queries.shape[0], k), dtype=np.int64)
    scores = np.empty((queries.shape[0], k))
    for start in range(0, queries.shape[0], chunk):
        dense = (queries[start:start + chunk] @ against_t).toarray()
        best = np.argpartition(-dense, k - 1, axis=1)[:, :k]
        ids[start:start + chunk] = best
        scores[start:start + chunk] = np.take_along_axis(dense, best, axis=1)
    return ids, scores


def _same_top_k(engine_rows: Any, base_ids: np.ndarray, base_scores: np.ndarray) -> int:
    """Rows whose top-k agree: same scores, and the same ids wherever scores are not tied."""
    identical = 0
    for row, ranked in enumerate(engine_rows):
        mine = sorted(ranked, key=lambda item: -item[1])
        theirs = sorted(zip(base_ids[row].tolist(), base_scores[row].tolist()), key=lambda item: -item[1])
        theirs = [(i, s) for i, s in theirs if s > 0]
        if len(mine) != len(theirs) or not np.allclose([s for _, s in mine], [s for _, s in theirs], atol=1e-9):
            continue
        boundary = mine[-1][1] if mine else 0.0
        if {i for i, s in mine if s > boundary + 1e-9} == {i for i, s in theirs if s > boundary + 1e-9}:
            identical += 1
    return identical


def _calibration(corpus: SyntheticCorpus) -> None:
    from bench.demo_corpus import challenges, technologies

    analyzer = TextAnalyzer(synonyms=None)

    def profile(docs):  # type: ignore[no-untyped-def]
        df: Counter[str] = Counter()
        lengths = []
        for doc in docs:
            terms = analyzer(f"{doc.title}。{doc.description}")
            lengths.append(len(terms))
            df.update(set(terms))
        top = [count / len(docs) for _, count in df.most_common(10)]
        return f"top-10 document frequencies {[round(x, 3) for x in top]} (sum {sum(top):.2f}), " \
               f"{statistics.mean(lengths):.1f} terms per document"

    print("demo corpus:     ", profile([*challenges(), *technologies()]))
    print("synthetic corpus:", profile([corpus.challenge(i) for i in range(75)] + [corpus.technology(i) for i in range(150)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--challenges", type=int, default=20_000)
    parser.add_argument("--technologies", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--calibrate", action="store_true", help="print the corpus profiles and stop")
    parser.add_argument("--rank-challenges", type=int, default=5_000,
                        help="`matchmaker rank` end to end on this many challenges (0: skip)")
    parser.add_argument("--rank-technologies", type=int, default=50_000)
    args = parser.parse_args()
    corpus = SyntheticCorpus()
    if args.calibrate:
        _calibration(corpus)
        return 0

    cores = os.cpu_count() or 1
    print(f"# bench.speed {dt.date.today().isoformat()}: {args.challenges:,} challenges x "
          f"{args.technologies:,} technologies, {cores} cores, top {TOP}")
    challenges = [corpus.challenge(i) for i in range(args.challenges)]
    technologies = [corpus.technology(i) for i in range(args.technologies)]
    new_challenges = [corpus.challenge(10_000_000 + i) for i in range(args.queries)]
    new_technologies = [corpus.technology(10_000_000 + i) for i in range(args.queries)]
    documents: list[ChallengeDoc | TechnologyDoc] = [*challenges, *technologies]
    texts = [(d.title, d.description) for d in documents]
    total_chars = sum(len(t) + len(b) for t, b in texts)
    rows = []

    # -- tokenising ----------------------------------------------------------------------
    analyzer = TextAnalyzer()
    sample = texts[: min(len(texts), 12_000)]
    sample_chars = sum(len(t) + len(b) for t, b in sample)
    analyzer.analyze_pair(*sample[0])  # load the dictionary outside the timing
    single, _ = _timed(lambda: analyzer.analyze_many(sample, n_jobs=1))
    char_wb = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).build_analyzer()
    baseline_tok, _ = _timed(lambda: [char_wb(f"{t}\n{b}") for t, b in sample])
    parallel, _ = _timed(lambda: analyzer.analyze_many(texts, n_jobs=cores))
    rows.append(("tokenising, 1 process", f"{sample_chars / single / 1e6:.2f} M chars/s",
                 f"{sample_chars / baseline_tok / 1e6:.2f} M chars/s", baseline_tok / single))
    rows.append((f"tokenising, {cores} processes ({total_chars / 1e6:.1f} M chars)",
                 f"{total_chars / parallel / 1e6:.2f} M chars/s",
                 f"{sample_chars / baseline_tok / 1e6:.2f} M chars/s", baseline_tok / sample_chars * total_chars / parallel))

    # -- fit -----------------------------------------------------------------------------
    gc.collect()
    engine = MatchEngine(analyzer, top_k=TOP, n_jobs=cores)
    fit_time, _ = _timed(lambda: engine.fit(challenges, technologies))
    refit_time, _ = _timed(engine.refit)
    c_exp = engine.challenges_.expanded_main
    t_exp = engine.technologies_.expanded_main
    t_exp_t = engine.technologies_.expanded_main_t
    c_exp_t = engine.challenges_.expanded_main_t

    # -- all pairs -------------------------------------------------------------------------
    gc.collect()
    _reset_peak_rss()
    all_pairs, result = _timed(lambda: engine._top_n(c_exp, engine.technologies_))
    peak = _peak_rss_mb()
    engine_rows = [list(zip(result.indices[result.indptr[r]:result.indptr[r + 1]].tolist(),
                            result.data[result.indptr[r]:result.indptr[r + 1]].tolist()))
                   for r in range(result.shape[0])]
    baseline_pairs, (base_ids, base_scores) = _timed(lambda: _scipy_top_k(c_exp, t_exp_t, TOP))
    identical = _same_top_k(engine_rows, base_ids, base_scores)
    baseline_reverse, _ = _timed(lambda: _scipy_top_k(t_exp, c_exp_t, TOP))
    plain_vectorizer, _ = _timed(lambda: TfidfVectorizer(analyzer=lambda terms: terms).fit_transform(
        [engine.tokens(CHALLENGE, d.id).terms for d in challenges] +
        [engine.tokens(TECHNOLOGY, d.id).terms for d in technologies]))
    baseline_fit = baseline_tok / sample_chars * total_chars + plain_vectorizer + baseline_pairs + baseline_reverse
    rows.append(("fit (tokenise, vectorise, top-20 both ways)", f"{fit_time:.1f} s", f"{baseline_fit:.1f} s",
                 baseline_fit / fit_time))
    rows.append(("refit from cached tokens", f"{refit_time:.1f} s",
                 f"{plain_vectorizer + baseline_pairs + baseline_reverse:.1f} s",
                 (plain_vectorizer + baseline_pairs + baseline_reverse) / refit_time))
    rows.append((f"all pairs, top-20 ({identical:,}/{len(engine_rows):,} rows identical to baseline)",
                 f"{all_pairs:.2f} s", f"{baseline_pairs:.1f} s", baseline_pairs / all_pairs))
    rows.append(("peak memory during all pairs (process RSS)", f"{peak:,.0f} MB", "", None))

    # -- one new challenge -----------------------------------------------------------------
    query_tokens = [engine.analyze(doc) for doc in new_challenges]
    compute, end_to_end, plain = [], [], []
    for doc, tokens in zip(new_challenges, query_tokens):
        # Each closure is called at once by _timed; the defaults bind this iteration's values explicitly.
        compute.append(_timed(lambda doc=doc, tokens=tokens: engine.rank_technologies(doc, TOP, tokens=tokens))[0])
        end_to_end.append(_timed(lambda doc=doc: engine.rank_technologies(doc, TOP))[0])
        _, q = engine._vectors(CHALLENGE, [doc], [tokens])
        plain.append(_timed(lambda q=q: np.argpartition(-(t_exp @ q.T).toarray().ravel(), TOP)[:TOP])[0])
    rows.append(("one new challenge vs 100k, median compute", f"{statistics.median(compute) * 1e3:.2f} ms",
                 f"{statistics.median(plain) * 1e3:.2f} ms", statistics.median(plain) / statistics.median(compute)))
    rows.append(("one new challenge, p95 compute", f"{np.percentile(compute, 95) * 1e3:.2f} ms",
                 f"{np.percentile(plain, 95) * 1e3:.2f} ms", np.percentile(plain, 95) / np.percentile(compute, 95)))
    rows.append(("one new challenge, median incl. tokenising", f"{statistics.median(end_to_end) * 1e3:.2f} ms", "", None))

    # -- one posting -----------------------------------------------------------------------
    table_ids = np.zeros((len(challenges), TOP), dtype=np.int64)
    table_scores = np.zeros((len(challenges), TOP))
    posting, plain_posting = [], []
    for posted in new_technologies:
        tokens = engine.analyze(posted)
        posting.append(_timed(lambda posted=posted, tokens=tokens: engine.upsert_technology(posted, tokens=tokens))[0])
        _, t = engine._vectors(TECHNOLOGY, [posted], [tokens])

        def plain_post(t: sp.csr_matrix = t) -> None:
            scores = (c_exp @ t.T).toarray().ravel()
            worst = table_scores.argmin(axis=1)
            better = np.flatnonzero(scores > table_scores[np.arange(len(scores)), worst])
            table_scores[better, worst[better]] = scores[better]
            table_ids[better, worst[better]] = 0

        plain_posting.append(_timed(plain_post)[0])
    rows.append(("one posting into 20k top-20 lists, median", f"{statistics.median(posting) * 1e3:.2f} ms",
                 f"{statistics.median(plain_posting) * 1e3:.2f} ms",
                 statistics.median(plain_posting) / statistics.median(posting)))
    rows.append(("one posting, p95", f"{np.percentile(posting, 95) * 1e3:.2f} ms",
                 f"{np.percentile(plain_posting, 95) * 1e3:.2f} ms",
                 np.percentile(plain_posting, 95) / np.percentile(posting, 95)))

    vocabulary = len(engine.word_vectorizer_.vocabulary_)  # read before the batch run frees the engine

    # -- the batch contract end to end (bench/speed/batch.py) ---------------------------------
    if args.rank_challenges:
        from bench.speed.batch import end_to_end as rank_end_to_end

        del engine
        gc.collect()
        rows += rank_end_to_end(args.rank_challenges, args.rank_technologies)

    print()
    print("| measure | engine | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, mine, base, ratio in rows:
        print(f"| {name} | {mine} | {base} | {'' if ratio is None else f'{ratio:.1f}x'} |")
    print(f"\nvocabulary {vocabulary:,} terms; expanded nnz: challenges "
          f"{c_exp.nnz:,}, technologies {t_exp.nnz:,}; process peak RSS {_peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
