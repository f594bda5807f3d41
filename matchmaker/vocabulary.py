"""The engine's synonym table: the built-in one (scoring/data/synonyms.tsv) plus the pairs
coordinators added in the app (models.VocabularyEntry), merged into one table file.

scoring/ knows nothing of the database: the app writes the merged table under the instance
folder and hands the engine its path, at fit, refit and when a saved state is loaded. The file
is named by a hash of its content, so processes never overwrite a table another one is reading,
and the hash tells whether a saved state was fitted on the current vocabulary.

A pair joins the built-in group that already holds either word (so a new variant of 見守り maps
onto 見守り); a pair whose words sit in two groups merges them; otherwise it starts a group whose
canonical term is the pair's term.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import VocabularyEntry
from scoring.text import DATA_DIR, TextAnalyzer

BUILT_IN = DATA_DIR / "synonyms.tsv"
BUILT_IN_KEY = "built-in"
# Every list the analyser reads. A release that changes one of them (a light word added, a
# synonym corrected) gives every vocabulary a new key: a saved state fitted with the old lists is
# then refitted in the background with every text analysed again, instead of keeping the old
# terms (refits otherwise reuse each text's cached tokens).
WORD_LISTS = ("synonyms.tsv", "stopwords_ja.txt", "stopwords_en.txt", "brands.txt")


@functools.cache
def word_lists_key(directory: Path = DATA_DIR) -> str:
    digest = hashlib.blake2b(digest_size=6)
    for name in WORD_LISTS:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _key(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().casefold()


def merged_table(built_in: str, pairs: Sequence[tuple[str, str]]) -> str:
    """The built-in table's text with the pairs merged in (same format: canonical<TAB>variants)."""
    groups: list[list[str] | None] = []
    where: dict[str, int] = {}
    for line in built_in.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        canonical, _, variants = line.partition("\t")
        words = [w.strip() for w in [canonical, *variants.split(",")] if w.strip()]
        groups.append(words)
        for word in words:
            where.setdefault(_key(word), len(groups) - 1)
    for term, variant in pairs:
        a, b = where.get(_key(term)), where.get(_key(variant))
        if a is None and b is None:
            groups.append([term, variant])
            where[_key(term)] = where[_key(variant)] = len(groups) - 1
        elif a is not None and b is not None and a != b:
            moved = groups[b]
            assert moved is not None and groups[a] is not None
            groups[a].extend(moved)  # type: ignore[union-attr]
            groups[b] = None
            for word in moved:
                where[_key(word)] = a
        else:
            target = a if a is not None else b
            assert target is not None
            for word in (term, variant):
                if _key(word) not in where:
                    groups[target].append(word)  # type: ignore[union-attr]
                    where[_key(word)] = target
    return "".join(f"{g[0]}\t{', '.join(g[1:])}\n" for g in groups if g)


def vocabulary_pairs(session: Session) -> list[tuple[str, str]]:
    return [(r.term, r.variant) for r in session.execute(
        select(VocabularyEntry.term, VocabularyEntry.variant).order_by(VocabularyEntry.id))]


def table_for(session: Session, directory: Path) -> tuple[Path, str]:
    """The path of the table to fit with, and its key (BUILT_IN_KEY and the word lists' key while no
    pair was added)."""
    pairs = vocabulary_pairs(session)
    if not pairs:
        return BUILT_IN, f"{BUILT_IN_KEY}-{word_lists_key()}"
    text = merged_table(BUILT_IN.read_text(encoding="utf-8"), pairs)
    key = hashlib.blake2b(f"{word_lists_key()}\n{text}".encode(), digest_size=12).hexdigest()
    path = directory / f"synonyms-{key}.tsv"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{key}.tmp")
        staging.write_text(text, encoding="utf-8")
        staging.replace(path)
    return path, key


def current_key(session: Session, directory: Path) -> str:
    return table_for(session, directory)[1]


class Analyzers:
    """One analyser per vocabulary key: building one analyses every table entry, so reuse it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._by_key: dict[str, TextAnalyzer] = {}

    def current(self, session: Session) -> tuple[TextAnalyzer, str]:
        path, key = table_for(session, self.directory)
        if key not in self._by_key:
            self._by_key = {key: TextAnalyzer(synonyms=path)}  # older vocabularies are not used again
        return self._by_key[key], key
