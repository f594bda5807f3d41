"""Count matrices for the TF-IDF blocks in one vectorised pass over every document.

scikit-learn's TfidfVectorizer counts in a Python loop per token (and, for char_wb, builds every
n-gram as a Python string), and the engine used to run it twice per block: `fit` over all
documents, then `transform` over each side. Here every document is counted once, with numpy:

  - term lists (the word and compound blocks): terms are mapped to ids with one dict lookup each;
  - character n-grams (char_wb): each n-gram of at most three characters is packed into one int64
    (per character its rank among the characters present, 0 where a shorter n-gram ends), so that
    integer order is Python's string order and np.unique gives sklearn's sorted vocabulary.

`fit_from_counts` then fits the vectorizer from that matrix exactly as `fit` would (same
vocabulary, same pruning, IDF by the vectorizer's own TfidfTransformer), and `tfidf_rows` turns
rows of it into what `transform` returns. Tests pin both to scikit-learn bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

_KEY_BITS = 63  # an (n-gram, document) key fits a non-negative int64; else n-grams are counted apart



class Counts:
    """Term counts of documents (rows) over a sorted vocabulary (columns), as sklearn counts them."""

    def __init__(self, matrix: sp.csr_matrix, vocabulary: list[str]) -> None:
        self.matrix = matrix
        self.vocabulary = vocabulary


def _csr(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> sp.csr_matrix:
    """Counts of (row, column) occurrences as a CSR matrix with sorted indices (float64, as
    CountVectorizer with dtype float64 builds it)."""
    if n_columns == 0:
        return sp.csr_matrix((n_rows, 0), dtype=np.float64)
    keys, counts = np.unique(rows.astype(np.int64) * n_columns + columns, return_counts=True)
    key_rows = keys // n_columns
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(key_rows, minlength=n_rows), out=indptr[1:])
    index_dtype = np.int32 if max(len(keys), n_columns) < np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_matrix((counts.astype(np.float64), (keys % n_columns).astype(index_dtype),
                            indptr.astype(index_dtype)), shape=(n_rows, n_columns))
    matrix.has_sorted_indices = True
    return matrix


def count_terms(term_lists: Sequence[Sequence[str]]) -> Counts:
    """Counts of already analysed documents (the identity analyser of features.make_word_vectorizer)."""
    lengths = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(term_lists))
    flat = list(chain.from_iterable(term_lists))
    vocabulary = sorted(dict.fromkeys(flat))
    index = {term: i for i, term in enumerate(vocabulary)}
    columns = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(term_lists), dtype=np.int64), lengths)
    return Counts(_csr(rows, columns, len(term_lists), len(vocabulary)), vocabulary)


def supports_char_counts(vectorizer: TfidfVectorizer) -> bool:
    """The packed n-gram codes cover char_wb n-grams of two or three characters (the engine's)."""
    low, high = vectorizer.ngram_range
    return (vectorizer.analyzer == "char_wb" and 2 <= low <= high <= 3 and vectorizer.preprocessor is None
            and not vectorizer.strip_accents and vectorizer.vocabulary is None and vectorizer.input == "content")


def count_char_ngrams(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> Counts:
    """Counts of char_wb n-grams as vectorizer's analyser yields them (lower-cased, whitespace
    collapsed, each word padded with one space each side, n-grams within a padded word only)."""
    if not supports_char_counts(vectorizer):
        raise ValueError("count_char_ngrams covers char_wb with 2 <= n <= 3 and default preprocessing")
    low, high = vectorizer.ngram_range
    preprocess = vectorizer.build_preprocessor()
    white = vectorizer._white_spaces  # the same pattern sklearn's char_wb analyser collapses with
    padded_words: list[str] = []
    words_per_doc = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        words = white.sub(" ", preprocess(text)).split()
        words_per_doc[i] = len(words)
        padded_words.extend(words)
    word_lengths = np.fromiter(map(len, padded_words), dtype=np.int64, count=len(padded_words)) + 2
    # One string of every padded word; which word and document each character belongs to.
    joined = " " + "  ".join(padded_words) + " " if padded_words else ""
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word_of = np.repeat(np.arange(len(padded_words), dtype=np.int64), word_lengths)
    doc_of_word = np.repeat(np.arange(len(texts), dtype=np.int64), words_per_doc)
    # Characters as their rank among the characters present (1, 2, ...; 0: no character), which
    # keeps their order and needs far fewer bits than a code point.
    present = np.zeros(0x110000, dtype=bool)
    present[points] = True
    alphabet = np.flatnonzero(present)
    ranks = np.cumsum(present, dtype=np.int64)[points]
    bits = max(len(alphabet).bit_length(), 1)
    grams, docs = [], []
    for n in range(low, high + 1):
        if len(ranks) < n:
            continue
        end = len(ranks) - n + 1
        inside = word_of[:end] == word_of[n - 1:]
        packed = np.zeros(end, dtype=np.int64)
        for k in range(n):
            packed |= ranks[k:k + end] << (bits * (2 - k))
        grams.append(packed[inside])
        docs.append(doc_of_word[word_of[:end][inside]])
    if not grams:
        return Counts(sp.csr_matrix((len(texts), 0), dtype=np.float64), [])
    all_grams, all_docs = np.concatenate(grams), np.concatenate(docs)
    doc_bits = max((len(texts) - 1).bit_length(), 1)
    if 3 * bits + doc_bits <= _KEY_BITS:
        # (n-gram, document) in one integer: one sort gives the vocabulary in string order and
        # the counts column by column (CSC), which scipy turns into rows with sorted columns.
        keys, counts = np.unique((all_grams << doc_bits) | all_docs, return_counts=True)
        key_grams = keys >> doc_bits
        starts = np.flatnonzero(np.concatenate([[True], key_grams[1:] != key_grams[:-1]]))
        vocabulary = key_grams[starts]
        by_column = sp.csc_matrix((counts.astype(np.float64), keys & ((1 << doc_bits) - 1),
                                   np.append(starts, len(keys))), shape=(len(texts), len(vocabulary)))
        matrix = by_column.tocsr()
        matrix.sort_indices()
    else:
        vocabulary, columns = np.unique(all_grams, return_inverse=True)
        matrix = _csr(all_docs, columns.ravel(), len(texts), len(vocabulary))
    return Counts(matrix, _decode(vocabulary, alphabet, bits))


def _decode(packed: np.ndarray, alphabet: np.ndarray, bits: int) -> list[str]:
    """Packed n-gram codes back to the strings they stand for."""
    ranks = np.stack([(packed >> (bits * (2 - k))) & ((1 << bits) - 1) for k in range(3)], axis=1)
    lengths = (ranks > 0).sum(axis=1).tolist()
    points = alphabet[np.maximum(ranks - 1, 0)].astype(np.uint32)
    text = points.tobytes().decode("utf-32-le", "surrogatepass")
    return [text[3 * i:3 * i + n] for i, n in enumerate(lengths)]


def fit_from_counts(vectorizer: TfidfVectorizer, counts: Counts) -> tuple[TfidfVectorizer, np.ndarray]:
    """Fit `vectorizer` as `vectorizer.fit(documents)` would from the documents' counts: the same
    vocabulary (max_df / min_df pruning included) and IDF. Returns the vectorizer and the kept
    columns of `counts` (what `tfidf_rows` takes)."""
    if vectorizer.max_features is not None or vectorizer.vocabulary is not None or vectorizer.binary:
        raise ValueError("fit_from_counts covers the engine's vectorizers (no max_features, vocabulary or binary)")
    matrix = counts.matrix
    n_doc = matrix.shape[0]
    max_df, min_df = vectorizer.max_df, vectorizer.min_df
    high = float(max_df if isinstance(max_df, Integral) else max_df * n_doc)
    low = float(min_df if isinstance(min_df, Integral) else min_df * n_doc)
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    kept = np.flatnonzero((df <= high) & (df >= low))
    if len(kept) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df."
                         if matrix.shape[1] else "empty vocabulary; perhaps the documents only contain stop words")
    vectorizer.vocabulary_ = {counts.vocabulary[c]: i for i, c in enumerate(kept.tolist())}
    vectorizer.fixed_vocabulary_ = False
    transformer = TfidfTransformer(norm=vectorizer.norm, use_idf=vectorizer.use_idf,
                                   smooth_idf=vectorizer.smooth_idf, sublinear_tf=vectorizer.sublinear_tf)
    kept_matrix = matrix if len(kept) == matrix.shape[1] else matrix[:, kept]
    vectorizer._tfidf = transformer.fit(kept_matrix)  # what TfidfVectorizer.fit sets
    return vectorizer, kept


def tfidf_rows(vectorizer: TfidfVectorizer, counts: Counts, kept: np.ndarray, rows: slice) -> sp.csr_matrix:
    """vectorizer.transform(documents[rows]) from the documents' counts (as fit_from_counts fitted)."""
    part = counts.matrix[rows]
    if len(kept) != counts.matrix.shape[1]:
        part = part[:, kept]
    part = sp.csr_matrix(part, dtype=np.float64, copy=True)
    part.sort_indices()
    return vectorizer._tfidf.transform(part, copy=False).tocsr()
