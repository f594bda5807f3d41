"""Per-row top-k lists kept up to date as candidates arrive, change and leave."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

EMPTY = -1


class TopKTable:
    """Row r holds the k best (candidate position, score) pairs seen for r, unsorted."""

    def __init__(self, k: int, rows: int = 0) -> None:
        self.k = k
        self.rows = rows
        self.candidates = np.full((rows, k), EMPTY, dtype=np.int64)
        self.scores = np.full((rows, k), -np.inf, dtype=np.float64)

    def ensure_rows(self, rows: int) -> None:
        """Grow by doubling: one posting must not copy a 100,000-row table."""
        if rows > self.candidates.shape[0]:
            capacity = max(rows, 2 * self.candidates.shape[0], 16)
            extra = capacity - self.candidates.shape[0]
            self.candidates = np.vstack([self.candidates, np.full((extra, self.k), EMPTY, dtype=np.int64)])
            self.scores = np.vstack([self.scores, np.full((extra, self.k), -np.inf, dtype=np.float64)])
        self.rows = max(self.rows, rows)

    def fill_from_sparse(self, topn: sp.csr_matrix, row_offset: int = 0) -> None:
        """Load rows from a sparse top-n result (as sp_matmul_topn returns)."""
        self.ensure_rows(row_offset + topn.shape[0])
        for local_row in range(topn.shape[0]):
            start, end = topn.indptr[local_row], topn.indptr[local_row + 1]
            self.set_row(row_offset + local_row, topn.indices[start:end], topn.data[start:end])

    def set_row(self, row: int, candidates: np.ndarray, scores: np.ndarray) -> None:
        keep = scores > 0
        candidates, scores = candidates[keep], scores[keep]
        if len(scores) > self.k:
            best = np.argpartition(-scores, self.k - 1)[: self.k]
            candidates, scores = candidates[best], scores[best]
        self.candidates[row] = EMPTY
        self.scores[row] = -np.inf
        self.candidates[row, : len(candidates)] = candidates
        self.scores[row, : len(scores)] = scores

    def set_row_from_dense(self, row: int, scores: np.ndarray) -> None:
        """Keep the k best positive entries of a dense score vector over all candidates."""
        positive = np.flatnonzero(scores > 0)
        if len(positive) > self.k:
            positive = positive[np.argpartition(-scores[positive], self.k - 1)[: self.k]]
        self.set_row(row, positive, scores[positive])

    def replace_rows(self, rows: np.ndarray, found: sp.csr_matrix) -> None:
        """Row rows[i] becomes the k best positive entries of found's row i (vectorised set_row)."""
        self._write_best(rows, found, keep_existing=False)

    def replace_rows_dense(self, rows: np.ndarray, scores: np.ndarray) -> None:
        """Row rows[i] becomes the k best positive entries of the dense score row scores[i]."""
        if len(rows) == 0:
            return
        k = min(self.k, scores.shape[1])
        if k == 0:
            self.candidates[rows], self.scores[rows] = EMPTY, -np.inf
            return
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(scores, best, axis=1)
        self.candidates[rows] = EMPTY
        self.scores[rows] = -np.inf
        self.candidates[rows, :k] = np.where(values > 0, best, EMPTY)
        self.scores[rows, :k] = np.where(values > 0, values, -np.inf)

    def merge_rows(self, rows: np.ndarray, offered: sp.csr_matrix) -> None:
        """Row rows[i] keeps the k best of what it holds and offered's row i, candidates that it
        does not hold yet (vectorised offer of many candidates to many rows)."""
        self._write_best(rows, offered, keep_existing=True)

    def _write_best(self, rows: np.ndarray, found: sp.csr_matrix, keep_existing: bool) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return
        local = np.repeat(np.arange(len(rows)), np.diff(found.indptr))
        candidates, scores = found.indices.astype(np.int64), np.asarray(found.data, dtype=np.float64)
        if keep_existing:
            held = self.candidates[rows] != EMPTY
            held_rows, held_slots = np.nonzero(held)
            local = np.concatenate([held_rows, local])
            candidates = np.concatenate([self.candidates[rows][held_rows, held_slots], candidates])
            scores = np.concatenate([self.scores[rows][held_rows, held_slots], scores])
        positive = scores > 0
        local, candidates, scores = local[positive], candidates[positive], scores[positive]
        # Each row best first (ties: lower position first, as `ranked` shows them), cut to k.
        order = np.lexsort((candidates, -scores, local))
        local, candidates, scores = local[order], candidates[order], scores[order]
        starts = np.searchsorted(local, np.arange(len(rows)))
        rank = np.arange(len(local)) - starts[local]
        kept = rank < self.k
        self.candidates[rows] = EMPTY
        self.scores[rows] = -np.inf
        self.candidates[rows[local[kept]], rank[kept]] = candidates[kept]
        self.scores[rows[local[kept]], rank[kept]] = scores[kept]

    def offer(self, rows: np.ndarray, candidate: int, scores: np.ndarray) -> None:
        """Offer one candidate to many rows at once; it replaces each row's worst if better."""
        positive = scores > 0
        rows, scores = rows[positive], scores[positive]
        if len(rows) == 0:
            return
        worst = np.argmin(self.scores[rows], axis=1)
        better = scores > self.scores[rows, worst]
        rows, worst, scores = rows[better], worst[better], scores[better]
        self.candidates[rows, worst] = candidate
        self.scores[rows, worst] = scores

    def rows_holding(self, candidate: int) -> np.ndarray:
        return np.flatnonzero((self.candidates == candidate).any(axis=1))

    def clear_row(self, row: int) -> None:
        self.candidates[row] = EMPTY
        self.scores[row] = -np.inf

    def ranked(self, row: int) -> list[tuple[int, float]]:
        """Best first; ties broken by candidate position so results are deterministic."""
        present = self.candidates[row] != EMPTY
        candidates = self.candidates[row][present]
        scores = self.scores[row][present]
        order = np.lexsort((candidates, -scores))
        return [(int(candidates[i]), float(scores[i])) for i in order]
