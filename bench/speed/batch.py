"""`matchmaker rank` end to end against its naive peer, in the same run.

Both read the same JSON Lines files (synthetic corpus, bench/speed/corpus.py) and write one line
per challenge with its top 20; each runs as its own process and is timed from start to exit:

  - engine: `matchmaker rank --top 20 --output FILE` (tokenising, fit, all pairs, reasons for
    every match, output), as a user runs it;
  - naive peer: `python -m bench.speed.batch peer …`: character 2-3-gram TF-IDF (char_wb, sublinear)
    over title and description, chunked scipy products of 250 challenges at a time with
    argpartition, one thread, scores without reasons.

    python -m bench.speed.batch [--challenges 5000] [--technologies 50000] [--keep DIR] [--base TREE]

--base TREE also runs `matchmaker rank` from another checkout (e.g. main before a change) in the
same run, before this tree's, and says whether both wrote the same lines and the same top-20 sets.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = 20
ROOT = Path(__file__).resolve().parents[2]
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def write_inputs(directory: Path, challenges: int, technologies: int) -> tuple[Path, Path]:
    """The synthetic corpus as the batch contract's files (real municipality names, so regions resolve)."""
    from bench.speed.corpus import SyntheticCorpus
    from seed.loader import _read_csv

    names = [row["name"] for row in _read_csv("municipalities.csv")]
    corpus = SyntheticCorpus()
    challenge_path, technology_path = directory / "challenges.jsonl", directory / "technologies.jsonl"
    with challenge_path.open("w", encoding="utf-8") as out:
        for i in range(challenges):
            challenge = corpus.challenge(i)
            out.write(json.dumps({"id": challenge.id, "title": challenge.title, "description": challenge.description,
                                  "fields": list(challenge.fields), "municipality": names[i % len(names)]},
                                 ensure_ascii=False) + "\n")
    with technology_path.open("w", encoding="utf-8") as out:
        for i in range(technologies):
            doc = corpus.technology(i)
            deployed = [names[(i + k * 7) % len(names)] for k in range(len(doc.deployed_in))]
            out.write(json.dumps({"id": doc.id, "title": doc.title, "description": doc.description,
                                  "fields": list(doc.fields), "company": doc.company, "maturity": doc.maturity,
                                  "deployed_in": deployed}, ensure_ascii=False) + "\n")
    return challenge_path, technology_path


def peer(challenge_path: Path, technology_path: Path, output: Path, top: int = TOP, chunk: int = 250) -> None:
    """The naive peer: char_wb TF-IDF, chunked scipy products, one thread."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    def read(path: Path) -> tuple[list[str], list[str]]:
        ids, texts = [], []
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                ids.append(str(record["id"]))
                texts.append(f"{record.get('title', '')}\n{record.get('description', '')}")
        return ids, texts

    challenge_ids, challenge_texts = read(challenge_path)
    technology_ids, technology_texts = read(technology_path)
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True).fit_transform(
        challenge_texts + technology_texts)
    challenges, technologies_t = vectors[: len(challenge_ids)], vectors[len(challenge_ids):].T.tocsr()
    with output.open("w", encoding="utf-8") as out:
        for start in range(0, challenges.shape[0], chunk):
            dense = (challenges[start:start + chunk] @ technologies_t).toarray()
            best = np.argpartition(-dense, top - 1, axis=1)[:, :top]
            scores = np.take_along_axis(dense, best, axis=1)
            order = np.argsort(-scores, axis=1, kind="stable")
            for row in range(dense.shape[0]):
                matches = [{"technology": technology_ids[best[row, i]], "score": round(float(scores[row, i]), 4)}
                           for i in order[row] if scores[row, i] > 0]
                out.write(json.dumps({"challenge": challenge_ids[start + row], "matches": matches},
                                     ensure_ascii=False) + "\n")


def _run(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of the process and its workers): on a shared
    machine the CPU seconds say what the work costs, the wall seconds what a user waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _engine(tree: Path, challenge_path: Path, technology_path: Path, output: Path) -> tuple[float, float]:
    return _run([str(Path(sys.executable).with_name("matchmaker")), "rank", "--challenges", str(challenge_path),
                 "--technologies", str(technology_path), "--top", str(TOP), "--output", str(output)],
                {**os.environ, "PYTHONPATH": str(tree)}, cwd=tree)


def _top_sets(path: Path) -> list[tuple[str, frozenset[str]]]:
    with path.open(encoding="utf-8") as handle:
        return [(line["challenge"], frozenset(m["technology"] for m in line["matches"]))
                for line in map(json.loads, handle)]


def end_to_end(challenges: int, technologies: int, keep: Path | None = None,
               base: Path | None = None) -> list[tuple[str, str, str, float]]:
    """Rows for bench.speed's table: engine end to end, peer end to end, ratio (peer / engine);
    with `base`, first a row for that tree's engine against the same peer."""
    directory = keep or Path(tempfile.mkdtemp(prefix="matchmaker-rank-"))
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        challenge_path, technology_path = write_inputs(directory, challenges, technologies)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if base is not None:
            base_time, base_cpu = _engine(base, challenge_path, technology_path, directory / "base.jsonl")
        engine_time, engine_cpu = _engine(ROOT, challenge_path, technology_path, directory / "engine.jsonl")
        peer_time, peer_cpu = _run([sys.executable, "-m", "bench.speed.batch", "peer", str(challenge_path),
                          str(technology_path), str(directory / "peer.jsonl")], {**env, **ONE_THREAD})
        lines = sum(1 for _ in (directory / "engine.jsonl").open(encoding="utf-8"))
        with (directory / "engine.jsonl").open(encoding="utf-8") as handle:
            explained = sum(1 for line in handle for match in json.loads(line)["matches"] if match["reasons"])
        peer_cell = f"{peer_time:.1f} s wall, {peer_cpu:.1f} s CPU (char_wb + chunked scipy, 1 thread)"
        if base is not None:
            same_lines = (directory / "base.jsonl").read_bytes() == (directory / "engine.jsonl").read_bytes()
            same_sets = _top_sets(directory / "base.jsonl") == _top_sets(directory / "engine.jsonl")
            verdict = f"{'identical lines' if same_lines else 'lines differ'}, {'same' if same_sets else 'DIFFERENT'}"
            rows.append((f"`matchmaker rank` of {base} (same input; output: {verdict} top-20 sets)",
                         f"{base_time:.1f} s wall, {base_cpu:.1f} s CPU", peer_cell, peer_time / base_time))
    finally:
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    label = f"`matchmaker rank` end to end, {challenges:,} x {technologies:,}, top-20 with reasons " \
            f"({lines:,} lines, {explained:,} matches explained)"
    return [*rows, (label, f"{engine_time:.1f} s wall, {engine_cpu:.1f} s CPU", peer_cell, peer_time / engine_time)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["peer"]:
        peer(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--challenges", type=int, default=5_000)
    parser.add_argument("--technologies", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="keep the input and output files in this directory")
    parser.add_argument("--base", type=Path, help="another checkout whose `matchmaker rank` runs first, same input")
    args = parser.parse_args(argv)
    print(f"# rank end to end, {os.cpu_count()} cores, load average before {os.getloadavg()[0]:.1f}")
    rows = end_to_end(args.challenges, args.technologies, args.keep, args.base and args.base.resolve())
    print("| measure | engine | naive peer | engine wall time / peer wall time |")
    print("|---|---:|---:|---:|")
    for name, mine, base, ratio in rows:
        print(f"| {name} | {mine} | {base} | {1 / ratio:.2f} |")
    print(f"load average after {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
