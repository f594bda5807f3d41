"""From cached tokens to the expanded sparse vectors the engine scores with.

Base vectors are L2-normalised TF-IDF rows (optionally joined with a character n-gram
TF-IDF block). Expanded vectors repeat the base vector in blocks so that a plain dot product
yields `cosine * multiplier` (see formula.py):

    challenge: [ 1 * c | w_f * c for each of its fields | SAME_REGION_WEIGHT * c for its region ]
    technology: [ alpha(t) * t | 1 * t for each of its fields | 1 * t for each region it serves ]
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
    parts = []
    for vectorizer, inputs, weight, are_terms in blocks:
        if weight <= 0:
            continue
        matrix = _terms_block(vectorizer, inputs) if are_terms else vectorizer.transform(inputs).tocsr()
        parts.append(matrix * np.sqrt(weight) if weight != 1 else matrix)
    return parts[0].tocsr() if len(parts) == 1 else sp.hstack(parts, format="csr")


class AuxiliaryLayout:
    """Where each field and region block sits in the expanded space."""

    def __init__(self, fields: Sequence[str], regions: Sequence[str], field_weight: float = formula.FIELD_WEIGHT) -> None:
        self.field_weight = field_weight
        self.fields = list(fields)
        self.regions = list(regions)
        self._field_block = {key: 1 + i for i, key in enumerate(self.fields)}
        self._region_block = {key: 1 + len(self.fields) + i for i, key in enumerate(self.regions)}
        self.block_count = 1 + len(self.fields) + len(self.regions)

    def challenge_blocks(self, doc: ChallengeDoc) -> list[tuple[int, float]]:
        known = [self._field_block[f] for f in dict.fromkeys(doc.fields) if f in self._field_block]
        blocks = [(0, 1.0)]
        weight = formula.field_unit_weight(len(set(doc.fields)), self.field_weight)
        blocks += [(block, weight) for block in known]
        if doc.region in self._region_block:
            blocks.append((self._region_block[doc.region], formula.SAME_REGION_WEIGHT))
        return blocks

    def technology_blocks(self, doc: TechnologyDoc) -> list[tuple[int, float]]:
        alpha = formula.technology_alpha(doc.maturity, bool(doc.deployed_in), self.field_weight)
        blocks = [(0, alpha)]
        blocks += [(self._field_block[f], 1.0) for f in dict.fromkeys(doc.fields) if f in self._field_block]
        blocks += [
            (self._region_block[r], 1.0) for r in dict.fromkeys(doc.deployed_regions) if r in self._region_block
        ]
        return blocks


def expand(base: sp.csr_matrix, blocks_per_row: Sequence[list[tuple[int, float]]], block_count: int) -> sp.csr_matrix:
    """Repeat each row's base vector in its blocks, scaled by the block weight."""
    width = base.shape[1]
    indptr = base.indptr
    row_lengths = np.diff(indptr)
    out_indices: list[np.ndarray] = []
    out_data: list[np.ndarray] = []
    out_lengths = np.empty(base.shape[0], dtype=np.int64)
    for row, blocks in enumerate(blocks_per_row):
        start, end = indptr[row], indptr[row + 1]
        columns = base.indices[start:end]
        values = base.data[start:end]
        for block, weight in blocks:
            out_indices.append(columns + block * width)
            out_data.append(values * weight)
        out_lengths[row] = row_lengths[row] * len(blocks)
    new_indptr = np.zeros(base.shape[0] + 1, dtype=np.int64)
    np.cumsum(out_lengths, out=new_indptr[1:])
    indices = np.concatenate(out_indices) if out_indices else np.empty(0, dtype=np.int32)
    data = np.concatenate(out_data) if out_data else np.empty(0, dtype=base.dtype)
    index_dtype = np.int32 if width * block_count < 2**31 and len(indices) < 2**31 else np.int64
    return sp.csr_matrix(
        (data.astype(base.dtype, copy=False), indices.astype(index_dtype, copy=False), new_indptr.astype(index_dtype)),
        shape=(base.shape[0], width * block_count),
    )
