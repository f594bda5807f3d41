"""The batch contract: rank technologies for challenges from files, no database needed.

Input is JSON Lines (one object per line), or CSV with the same columns when the file name
ends in .csv. Challenge records: id, title, description, optional field (a key), municipality,
lang. Technology records: id, title, description, optional fields (a list of keys; in CSV
separated by ';', ',' or '|'), company, lang, and optionally maturity and deployed_in.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .documents import ChallengeDoc, TechnologyDoc
from .engine import MatchEngine
from .explain import explain_many
from .spreadsheet import safe_cell

MATURITIES = ("concept", "piloted", "in_service")
_T = TypeVar("_T")
_LIST_SEPARATOR = re.compile(r"[;,|]")


class RecordError(ValueError):
    """A malformed input file; the message names the file and line."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RecordError(path, None, f"cannot read file ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RecordError(path, line, "not UTF-8 text") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise RecordError(path, 1, "no header row")
        for record in reader:
            if None in record:
                raise RecordError(path, reader.line_num, "more values than header columns")
            yield reader.line_num, {k.strip(): v for k, v in record.items() if k is not None}
        return
    for line_number, row_text in enumerate(text.splitlines(), start=1):
        if not row_text.strip():
            continue
        try:
            record = json.loads(row_text)
        except json.JSONDecodeError as error:
            raise RecordError(path, line_number, f"not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise RecordError(path, line_number, "each line must be a JSON object")
        yield line_number, record


def _text(record: Mapping[str, Any], key: str, path: Path, line: int, required: bool = False) -> str:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(path, line, f'missing "{key}"')
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "id":
        return str(value)
    if not isinstance(value, str):
        raise RecordError(path, line, f'"{key}" must be a string')
    return value.strip()


def _keys(value: Any, key: str, known: set[str] | None, path: Path, line: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = [v.strip() for v in (json.loads(value) if value.startswith("[") else _LIST_SEPARATOR.split(value))]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise RecordError(path, line, f'"{key}" must be a key or a list of keys')
    items = [item for item in items if item]
    if known is not None:
        unknown = [item for item in items if item not in known]
        if unknown:
            raise RecordError(path, line, f'unknown {key} {", ".join(unknown)} (known: {", ".join(sorted(known))})')
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class _Common:
    """What every record has: a unique id and some text."""

    id: str
    title: str
    description: str
    lang: str | None


def _documents(path: Path, build: Callable[[_Common, dict[str, Any], int], Any]) -> list[Any]:
    docs: list[Any] = []
    seen: set[str] = set()
    for line, record in _records(path):
        doc_id = _text(record, "id", path, line, required=True)
        if doc_id in seen:
            raise RecordError(path, line, f'duplicate id "{doc_id}"')
        seen.add(doc_id)
        title = _text(record, "title", path, line)
        description = _text(record, "description", path, line)
        if not title and not description:
            raise RecordError(path, line, 'needs a "title" or a "description"')
        common = _Common(doc_id, title, description, _text(record, "lang", path, line) or None)
        docs.append(build(common, record, line))
    if not docs:
        raise RecordError(path, None, "no records")
    return docs


def read_challenges(path: Path, *, known_fields: set[str] | None = None,
                    region_of: Callable[[str], str | None] = lambda _m: None) -> list[ChallengeDoc]:
    """Raises RecordError naming the file and line of the first problem."""

    def build(common: _Common, record: dict[str, Any], line: int) -> ChallengeDoc:
        municipality = _text(record, "municipality", path, line) or None
        return ChallengeDoc(
            id=common.id, title=common.title, description=common.description, lang=common.lang,
            fields=_keys(record.get("field", record.get("fields")), "field", known_fields, path, line),
            municipality=municipality, region=region_of(municipality) if municipality else None,
        )

    return _documents(path, build)


def read_technologies(path: Path, *, known_fields: set[str] | None = None,
                      region_of: Callable[[str], str | None] = lambda _m: None) -> list[TechnologyDoc]:
    """Raises RecordError naming the file and line of the first problem."""

    def build(common: _Common, record: dict[str, Any], line: int) -> TechnologyDoc:
        maturity = _text(record, "maturity", path, line) or None
        if maturity is not None and maturity not in MATURITIES:
            raise RecordError(path, line, f'"maturity" must be one of {", ".join(MATURITIES)}')
        deployed = _keys(record.get("deployed_in"), "deployed_in", None, path, line)
        return TechnologyDoc(
            id=common.id, title=common.title, description=common.description, lang=common.lang,
            fields=_keys(record.get("fields", record.get("field")), "field", known_fields, path, line),
            company=_text(record, "company", path, line) or None, maturity=maturity, deployed_in=deployed,
            deployed_regions=tuple(r for r in (region_of(m) for m in deployed) if r),
        )

    return _documents(path, build)


def rank(challenges: Sequence[ChallengeDoc], technologies: Sequence[TechnologyDoc], top: int,
         n_jobs: int | None = None) -> Iterator[dict[str, Any]]:
    """One result per challenge, in input order, best match first.

    Uses every core (n_jobs, default all): tokenising and the explanations run in worker
    processes, the all-pairs product in threads; only the challenges' lists are computed (the
    batch never asks the reverse). Results are yielded as they are ready, so output streams.
    """
    return _rank(challenges, technologies, top, n_jobs, _as_is)


def rank_jsonl(challenges: Sequence[ChallengeDoc], technologies: Sequence[TechnologyDoc], top: int,
               n_jobs: int | None = None) -> Iterator[str]:
    """rank() as JSON Lines (one line per challenge, newline included), encoded in the workers
    that explain: a line pickles back far cheaper than the nested dicts it encodes."""
    return _rank(challenges, technologies, top, n_jobs, _json_line)


def _as_is(result: dict[str, Any]) -> dict[str, Any]:
    return result


def _json_line(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False) + "\n"


def _rank(challenges: Sequence[ChallengeDoc], technologies: Sequence[TechnologyDoc], top: int, n_jobs: int | None,
          encode: Callable[[dict[str, Any]], _T]) -> Iterator[_T]:
    jobs = n_jobs or os.cpu_count() or 1
    # The fit allocates millions of tokens, strings and arrays and no reference cycles: the cyclic
    # collector would only walk them over and over (a tenth of the parent's time at 1k x 10k).
    # Afterwards they are frozen (kept out of its reach), so that later collections here skip them
    # and forked workers' collections do not write to, and so copy, every page they inherit.
    collecting = gc.isenabled()
    gc.disable()
    try:
        engine = MatchEngine(top_k=top, n_jobs=jobs).fit(challenges, technologies, both_directions=False)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    try:
        yield from _ranked(engine, [challenge.id for challenge in challenges], jobs, encode)
    finally:
        gc.unfreeze()


def _ranked(engine: MatchEngine, ids: list[str], jobs: int, encode: Callable[[dict[str, Any]], _T]) -> Iterator[_T]:
    if jobs <= 1 or len(ids) < _PARALLEL_FROM:
        yield from map(encode, _results(engine, ids))
        return
    import multiprocessing

    global _FORKED  # handed to forked workers by inheritance, never pickled
    _FORKED = (engine, encode)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs) as pool:
            for chunk in pool.imap(_explain_chunk, _chunked(ids, _CHUNK)):
                yield from chunk
    finally:
        _FORKED = None


# Below this many challenges a pool costs more than it saves; chunks keep workers busy and
# the output flowing in input order.
_PARALLEL_FROM = 400
_CHUNK = 100
_FORKED: tuple[MatchEngine, Callable[[dict[str, Any]], Any]] | None = None


def _chunked(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _explain_chunk(ids: list[str]) -> list[Any]:
    assert _FORKED is not None
    engine, encode = _FORKED
    return [encode(result) for result in _results(engine, ids)]


def _results(engine: MatchEngine, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Each challenge's list as technologies_for gives it, explained all at once (explain_many)."""
    technologies = engine.technologies_.docs
    for challenge_id in ids:
        position = engine.challenges_.position[challenge_id]
        ranked = engine.challenge_top_.ranked(position)[:engine.top_k]
        explanations = explain_many(engine, position, [p for p, _ in ranked])
        yield {"challenge": challenge_id, "matches": [
            {"technology": technologies[p].id, "score": round(score, 4), "reasons": explanation.reasons()}
            for (p, score), explanation in zip(ranked, explanations)]}


def write_jsonl(results: Iterable[dict[str, Any]], out: TextIO) -> None:
    out.writelines(map(_json_line, results))


def describe_reason(reason: Mapping[str, Any]) -> str:
    share = f"{reason['share'] * 100:.0f}%"
    if reason["kind"] == "term":
        words = reason["challenge_word"]
        if reason["technology_word"] != words:
            words = f"{words}↔{reason['technology_word']}"
        return f"{words}{' (compound)' if reason.get('compound') else ''} {share}"
    if reason["kind"] == "fields":
        return f"fields {'/'.join(reason['fields'])} {share}"
    if reason["kind"] == "wording":
        return f"other shared wording {share}"
    places = "/".join(reason["deployed_in"])
    return f"{reason['maturity'] or ''}{' in ' + places if places else ''} {share}".strip()


def write_csv(results: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One row per match; a BOM so that Excel reads the UTF-8 correctly."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["challenge", "rank", "technology", "score", "reasons"])
    for result in results:
        for rank_number, match in enumerate(result["matches"], start=1):
            reasons = "; ".join(describe_reason(r) for r in match["reasons"])
            writer.writerow([safe_cell(result["challenge"]), rank_number, safe_cell(match["technology"]),
                             f"{match['score']:.4f}", safe_cell(reasons)])
