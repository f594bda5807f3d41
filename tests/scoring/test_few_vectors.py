"""A handful of documents (a posting, a query) is vectorised row by row: the same vectors as the
matrix path through scikit-learn and scipy, for both sides, with and without BM25."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import MatchEngine, TechnologyDoc
from scoring.engine import _FEW_DOCUMENTS, CHALLENGE, TECHNOLOGY


@pytest.mark.parametrize("saturation_k1", [0.0, 1.2])
def test_few_documents_get_the_vectors_of_the_matrix_path(analyzer, demo_challenges, demo_technologies,
                                                          saturation_k1) -> None:
    engine = MatchEngine(analyzer, top_k=5, compound_weight=0.1, saturation_k1=saturation_k1).fit(
        demo_challenges, demo_technologies)
    unknown = TechnologyDoc("new", "未知のＡＩ語彙だけ", "Completely unseen wording", fields=("health",))
    engine.upsert_technology(unknown)  # cached tokens for it, with terms outside the vocabulary
    for side, docs in ((CHALLENGE, demo_challenges), (TECHNOLOGY, [*demo_technologies, unknown])):
        many = docs[: _FEW_DOCUMENTS + 4]
        assert len(many) > _FEW_DOCUMENTS
        base, expanded = engine._vectors(side, many)
        for start in range(0, len(many), 3):
            few_base, few_expanded = engine._vectors(side, many[start:start + 3])
            assert few_expanded.shape == expanded[start:start + 3].shape
            assert abs(few_base - base[start:start + 3]).max() < 1e-12
            assert abs(few_expanded - expanded[start:start + 3]).max() < 1e-12
            assert (few_expanded.indices == expanded[start:start + 3].indices).all()
    assert np.isclose(engine.score(demo_challenges[0].id, demo_technologies[0].id),
                      (engine._vectors(CHALLENGE, demo_challenges[:1])[1]
                       @ engine._vectors(TECHNOLOGY, demo_technologies[:1])[1].T)[0, 0], rtol=1e-12)
