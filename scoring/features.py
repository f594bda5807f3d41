"""From cached tokens to the expanded sparse vectors the engine scores with.

Base vectors are L2-normalised TF-IDF rows (optionally joined with a character n-gram
TF-IDF block). Expanded vectors append a few prior columns (PriorLayout) so that a plain dot
product yields the additive score of formula.py.
"""

from __future__ import annotations

from collections import Counter
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


def block_counts(vectorizer: TfidfVectorizer, inputs: Sequence[Sequence[str]] | Sequence[str],
                 are_terms: bool) -> sp.csr_matrix:
    """Raw counts of a fitted block's vocabulary in each input (terms outside it are not counted)."""
    vocabulary = vectorizer.vocabulary_
    if are_terms:
        indptr, indices = [0], []
        for terms in inputs:
            columns = [c for c in map(vocabulary.get, terms) if c is not None]
            indices.extend(columns)
            indptr.append(len(indices))
        counts = sp.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int32),
                                np.asarray(indptr, dtype=np.int64)), shape=(len(inputs), len(vocabulary)))
    else:
        analyse = vectorizer.build_analyzer()
        indptr, indices = [0], []
        for text in inputs:
            columns = [c for c in map(vocabulary.get, analyse(text)) if c is not None]
            indices.extend(columns)
            indptr.append(len(indices))
        counts = sp.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int32),
                                np.asarray(indptr, dtype=np.int64)), shape=(len(inputs), len(vocabulary)))
    counts.sum_duplicates()  # sorted indices, one count per column
    return counts


class Saturation:
    """BM25 weights for the catalogue side of a block, instead of its cosine-normalised TF-IDF.

        weight(t, d) = idf(t) * tf (k1 + 1) / (tf + k1 (1 - b + b * len(d) / average_len)) / scale

    Repeated terms saturate (k1) and long entries are only partly normalised (b < 1): cosine
    normalisation divides an entry that describes more by its whole length, BM25 by a share of
    it. The challenge side keeps its L2-normalised TF-IDF, so a pair's score is still one dot
    product. average_len and scale (the mean L2 norm of the catalogue rows, so that a block's
    values stay on the scale of a cosine) are learned at fit and frozen, as the IDF is.
    """

    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, counts: sp.csr_matrix, idf: np.ndarray) -> Saturation:
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        self.average_length_ = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        self.scale_ = 1.0
        rows = self.rows(counts, idf)
        norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
        self.scale_ = float(norms.mean()) if len(norms) and norms.mean() > 0 else 1.0
        return self

    def rows(self, counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        counts = counts.tocsr()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        data = self.weights(counts.data, np.repeat(lengths, np.diff(counts.indptr)), idf[counts.indices])
        return sp.csr_matrix((data, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)

    def weights(self, tf: np.ndarray, length: float | np.ndarray, idf: np.ndarray) -> np.ndarray:
        """The weights of counts tf (of entries of the given lengths) of terms with the given idf."""
        return tf * (self.k1 + 1.0) / (tf + self.k1 * (1.0 - self.b + self.b * length / self.average_length_)) * idf / self.scale_


def base_vectors(
    blocks: Sequence[tuple[TfidfVectorizer, Sequence[Sequence[str]] | Sequence[str], float, bool]],
    saturations: Sequence[Saturation | None] | None = None,
) -> sp.csr_matrix:
    """Concatenate the blocks' rows, each scaled by the square root of its weight.

    blocks: (vectorizer, inputs, weight, inputs_are_term_lists). A block's rows are L2-normalised
    TF-IDF, or BM25 weights where `saturations` gives one for it (the catalogue side). The dot
    product of two rows is then exactly sum(weight_b * similarity_b): one exact score, whatever
    the block mix, that decomposes block by block and, within a block, column by column.
    """
    matrices = []
    for index, (vectorizer, inputs, weight, are_terms) in enumerate(blocks):
        if weight <= 0:
            continue
        saturation = saturations[index] if saturations else None
        if saturation is not None:
            matrix = saturation.rows(block_counts(vectorizer, inputs, are_terms), vectorizer.idf_)
        else:
            matrix = _terms_block(vectorizer, inputs) if are_terms else vectorizer.transform(inputs).tocsr()
        matrices.append((matrix, weight))
    return stack_blocks(matrices)


def stack_blocks(blocks: Sequence[tuple[sp.csr_matrix, float]]) -> sp.csr_matrix:
    """(rows, weight) of each block, scaled by the square root of its weight and joined."""
    parts = [matrix * np.sqrt(weight) if weight != 1 else matrix for matrix, weight in blocks if weight > 0]
    return parts[0].tocsr() if len(parts) == 1 else sp.hstack(parts, format="csr")


def _analyser(vectorizer: TfidfVectorizer):  # type: ignore[no-untyped-def]
    """The vectorizer's own analyser, built once (sklearn builds it on every transform call)."""
    analyser = vectorizer.__dict__.get("_few_analyser")
    if analyser is None:
        analyser = vectorizer.__dict__["_few_analyser"] = vectorizer.build_analyzer()
    return analyser


def few_vectors(
    blocks: Sequence[tuple[TfidfVectorizer, Sequence[Sequence[str]] | Sequence[str], float, bool]],
    saturations: Sequence[Saturation | None] | None, text_scale: float,
    prior_rows: Sequence[dict[int, float]], prior_width: int,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """base_vectors and with_priors for a handful of documents, row by row in numpy.

    A posting or a single query vectorises one document: scikit-learn's per-call checks and
    scipy's hstack cost several times the arithmetic (about 2 ms of a 4 ms query on the speed
    benchmark's corpus). Same values (tests pin them to the matrix path within 1e-12).
    """
    count = len(prior_rows)
    columns: list[list[np.ndarray]] = [[] for _ in range(count)]
    values: list[list[np.ndarray]] = [[] for _ in range(count)]
    offset = 0
    for index, (vectorizer, inputs, weight, are_terms) in enumerate(blocks):
        if weight <= 0:
            continue
        vocabulary, idf = vectorizer.vocabulary_, vectorizer.idf_
        analyse = None if are_terms else _analyser(vectorizer)
        saturation = saturations[index] if saturations else None
        scale = np.sqrt(weight)
        for row, item in enumerate(inputs):
            counts: dict[int, int] = {}
            for token, times in Counter(item if analyse is None else analyse(item)).items():
                column = vocabulary.get(token)
                if column is not None:
                    counts[column] = times
            block_columns = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
            tf = np.array([counts[c] for c in block_columns], dtype=np.float64)
            if saturation is not None:
                block_values = saturation.weights(tf, tf.sum(), idf[block_columns])
            else:
                block_values = (1.0 + np.log(tf)) * idf[block_columns]
                norm = np.sqrt(block_values @ block_values)
                if norm:
                    block_values = block_values / norm
            if weight != 1:
                block_values = block_values * scale
            columns[row].append(block_columns + offset)
            values[row].append(block_values)
        offset += len(vocabulary)
    text_width = offset
    base_indptr, base_indices, base_data = [0], [], []
    indptr, indices, data = [0], [], []
    for row in range(count):
        text_columns = np.concatenate(columns[row]) if columns[row] else np.empty(0, dtype=np.int32)
        text_values = np.concatenate(values[row]) if values[row] else np.empty(0)
        base_indices.append(text_columns)
        base_data.append(text_values)
        base_indptr.append(base_indptr[-1] + len(text_columns))
        prior = prior_rows[row]
        prior_columns = sorted(prior)
        indices += [text_columns, np.asarray(prior_columns, dtype=np.int32) + text_width]
        data += [text_values * text_scale if text_scale != 1 else text_values,
                 np.asarray([prior[c] for c in prior_columns], dtype=np.float64)]
        indptr.append(indptr[-1] + len(text_columns) + len(prior_columns))
    empty_i, empty_f = np.empty(0, dtype=np.int32), np.empty(0)
    base = sp.csr_matrix((np.concatenate(base_data) if base_data else empty_f,
                          np.concatenate(base_indices) if base_indices else empty_i,
                          np.asarray(base_indptr, dtype=np.int32)), shape=(count, text_width))
    expanded = sp.csr_matrix((np.concatenate(data) if data else empty_f,
                              np.concatenate(indices) if indices else empty_i,
                              np.asarray(indptr, dtype=np.int32)), shape=(count, text_width + prior_width))
    return base, expanded


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
