"""The compat layer that lets RecBole 1.2.1 run on the pinned package stack."""

import numpy as np
import scipy.sparse as sp

import recbole_darec  # noqa: F401  (applies the compat layer)


def test_dok_matrix_update_shim_matches_dict_semantics():
    matrix = sp.dok_matrix((4, 5), dtype=np.float32)
    matrix._update({(0, 1): 1.0, (3, 4): 2.5})
    dense = matrix.toarray()
    assert dense[0, 1] == 1.0 and dense[3, 4] == 2.5 and dense.sum() == 3.5
