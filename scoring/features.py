"""From cached tokens to the expanded sparse vectors the engine scores with.

Base vectors are L2-normalised TF-IDF rows (optionally joined with a character n-gram
TF-IDF block). Expanded vectors append a few prior columns (PriorLayout) so that a plain dot
product yields the additive score of formula.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from . import formula
from .documents import ChallengeDoc, TechnologyDoc


def identity_analyzer(terms: Sequence[str]) -> Sequence[str]:
    """Documents reach the vectorizer already analysed (and cached)."""
    return terms


def make_word_vectorizer(dtype: type) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=identity_analyzer, sublinear_tf=True, norm="l2", dtype=dtype)


def make_char_vectorizer(dtype: type, max_df: float = 1.0) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, norm="l2", dtype=dtype,
                           max_df=max_df)


def _word_vectors_few(vectorizer: TfidfVectorizer, term_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """The same sublinear, L2-normalised TF-IDF as vectorizer.transform, for a handful of documents.

    scikit-learn's per-call validation costs more than the arithmetic for one document, and the
    incremental path vectorises one document per request; tests pin equality with transform().
    """
    vocabulary, idf = vectorizer.vocabulary_, vectorizer.idf_
    indptr, indices, data = [0], [], []
    for terms in term_lists:
        counts: dict[int, int] = {}
        for term in terms:
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        values = (1.0 + np.log(np.array([counts[c] for c in columns], dtype=np.float64))) * idf[columns]
        norm = np.sqrt(values @ values)
        indices.append(columns)
        data.append(values / norm if norm else values)
        indptr.append(indptr[-1] + len(columns))
    return sp.csr_matrix((np.concatenate(data) if data else np.empty(0), np.concatenate(indices) if indices
                          else np.empty(0, dtype=np.int32), np.asarray(indptr)),
                         shape=(len(term_lists), len(vocabulary)))


_FEW = 16


def _terms_block(vectorizer: TfidfVectorizer, term_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
    if len(term_lists) <= _FEW:
        return _word_vectors_few(vectorizer, term_lists)
    return vectorizer.transform(term_lists).tocsr()


def base_vectors(
    blocks: Sequence[tuple[TfidfVectorizer, Sequence[Sequence[str]] | Sequence[str], float, bool]],
) -> sp.csr_matrix:
    """Concatenate L2-normalised TF-IDF blocks, each scaled by the square root of its weight.

    blocks: (vectorizer, inputs, weight, inputs_are_term_lists). The dot product of two such
    rows is then exactly sum(weight_b * cosine_b): one exact score, whatever the block mix,
    that decomposes block by block and, within a block, column by column.
    """
    return stack_blocks([(_terms_block(vectorizer, inputs) if are_terms else vectorizer.transform(inputs).tocsr(), weight)
                         for vectorizer, inputs, weight, are_terms in blocks if weight > 0])


def stack_blocks(blocks: Sequence[tuple[sp.csr_matrix, float]]) -> sp.csr_matrix:
    """(TF-IDF rows, weight) of each block, scaled by the square root of its weight and joined."""
    parts = [matrix * np.sqrt(weight) if weight != 1 else matrix for matrix, weight in blocks if weight > 0]
    return parts[0].tocsr() if len(parts) == 1 else sp.hstack(parts, format="csr")


class PriorLayout:
    """The few prior columns appended to the text vectors (formula.py), and their values per row.

        challenge:  [ text_weight * c | field_weight / len(fields) at each of its fields
                      | evidence_weight * SAME_REGION_EVIDENCE at its region | evidence_weight ]
        technology: [ t | cover(field) at each of its fields | 1 at each region it is in service in
                      | technology_evidence(t) ]

    so that the dot product of the two rows is exactly the additive score of formula.py.
    """

    def __init__(self, fields: Sequence[str], regions: Sequence[str], field_weight: float = formula.FIELD_WEIGHT,
                 evidence_weight: float = formula.EVIDENCE_WEIGHT,
                 secondary_field_cover: float = formula.SECONDARY_FIELD_COVER) -> None:
        self.field_weight = field_weight
        self.evidence_weight = evidence_weight
        self.secondary_field_cover = secondary_field_cover
        self.fields = list(fields)
        self.regions = list(regions)
        self._field_column = {key: i for i, key in enumerate(self.fields)}
        self._region_column = {key: len(self.fields) + i for i, key in enumerate(self.regions)}
        self.evidence_column = len(self.fields) + len(self.regions)
        self.width = self.evidence_column + 1
        self.text_weight = formula.text_weight(field_weight, evidence_weight)

    def is_field_column(self, column: int) -> bool:
        return column < len(self.fields)

    def challenge_values(self, doc: ChallengeDoc) -> dict[int, float]:
        values: dict[int, float] = {}
        fields = set(doc.fields)
        for field in dict.fromkeys(doc.fields):
            if field in self._field_column and self.field_weight:
                values[self._field_column[field]] = self.field_weight / len(fields)
        if doc.region in self._region_column and self.evidence_weight:
            values[self._region_column[doc.region]] = self.evidence_weight * formula.SAME_REGION_EVIDENCE
        if self.evidence_weight:
            values[self.evidence_column] = self.evidence_weight
        return values

    def technology_values(self, doc: TechnologyDoc) -> dict[int, float]:
        values: dict[int, float] = {}
        for field, cover in formula.field_covers(doc.fields, self.secondary_field_cover).items():
            if field in self._field_column and cover:
                values[self._field_column[field]] = cover
        for region in dict.fromkeys(doc.deployed_regions):
            if region in self._region_column:
                values[self._region_column[region]] = 1.0
        evidence = formula.technology_evidence(doc.maturity, bool(doc.deployed_in))
        if evidence:
            values[self.evidence_column] = evidence
        return values


def with_priors(base: sp.csr_matrix, text_scale: float, prior_rows: Sequence[dict[int, float]],
                prior_width: int) -> sp.csr_matrix:
    """[text_scale * base | prior columns]: a few values per row, not a copy of the row per block."""
    indptr: list[int] = [0]
    indices: list[int] = []
    data: list[float] = []
    for row in prior_rows:
        columns = sorted(row)
        indices.extend(columns)
        data.extend(row[c] for c in columns)
        indptr.append(len(indices))
    prior = sp.csr_matrix((np.asarray(data, dtype=base.dtype), np.asarray(indices, dtype=np.int32),
                           np.asarray(indptr, dtype=np.int64)), shape=(base.shape[0], prior_width))
    text = base * text_scale if text_scale != 1 else base
    return sp.hstack([text, prior], format="csr")
