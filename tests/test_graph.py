"""Fast propagation (recbole_darec.model.graph): the same numbers as RecBole's COO products, forward and backward."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recbole_darec.model.graph import Adjacency, normalized_adjacency, propagate


def _bipartite(seed=0, n_users=40, n_items=30, n_pairs=300):
    rng = np.random.default_rng(seed)
    return n_users, n_items, rng.integers(0, n_users, n_pairs), rng.integers(0, n_items, n_pairs)


def _recbole_adjacency(n_users, n_items, users, items):
    """RecBole 1.2.1's LightGCN.get_norm_adj_mat, written out on its dok matrix (the reference)."""
    import recbole_darec.compat  # noqa: F401  (dok_matrix._update on current scipy)

    n = n_users + n_items
    matrix = sp.dok_matrix((n, n), dtype=np.float32)
    entries = dict(zip(zip(users, items + n_users), [1] * len(users)))
    entries.update(dict(zip(zip(items + n_users, users), [1] * len(users))))
    matrix._update(entries)
    degree = np.power(np.array((matrix > 0).sum(axis=1).flatten())[0] + 1e-7, -0.5)
    scaled = sp.coo_matrix(sp.diags(degree) * matrix * sp.diags(degree))
    indices = torch.LongTensor(np.array([scaled.row, scaled.col]))
    return torch.sparse_coo_tensor(indices, torch.FloatTensor(scaled.data), scaled.shape).coalesce()


def _layers(step, x, n_layers=3):
    out = []
    for _ in range(n_layers):
        x = step(x)
        out.append(x)
    return torch.stack(out)


def _forward_and_grad(step, x0, upstream):
    x = x0.clone().requires_grad_()
    out = _layers(step, x)
    (out * upstream).sum().backward()
    return out.detach(), x.grad


def test_normalized_adjacency_is_recboles_bit_for_bit():
    reference = _recbole_adjacency(*_bipartite())
    ours = normalized_adjacency(*_bipartite())
    assert ours.symmetric and ours.transpose is ours.matrix  # one tensor serves both directions
    assert torch.equal(ours.to_dense(), reference.to_dense())


@pytest.mark.parametrize("keep_rate", [1.0, 0.8])
def test_propagation_matches_the_coo_reference_forward_and_backward(keep_rate):
    reference = _recbole_adjacency(*_bipartite())
    ours = normalized_adjacency(*_bipartite())
    if keep_rate < 1:  # the same uniform draw selects the same entries in both layouts
        torch.manual_seed(3)
        keep = torch.rand(reference._nnz()) < keep_rate
        reference = torch.sparse_coo_tensor(
            reference.indices()[:, keep], reference.values()[keep] / keep_rate, reference.shape
        ).coalesce()
        torch.manual_seed(3)
        ours = ours.drop_edges(keep_rate)
        assert not ours.symmetric  # the two directions of an edge are dropped independently
        assert torch.equal(ours.transpose.to_dense(), reference.to_dense().T)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.randn(reference.shape[0], 8, generator=generator)
    upstream = torch.randn(3, *x0.shape, generator=generator)
    out_ref, grad_ref = _forward_and_grad(lambda x: torch.sparse.mm(reference, x), x0, upstream)
    out, grad = _forward_and_grad(lambda x: propagate(ours, x), x0, upstream)
    torch.testing.assert_close(out, out_ref, rtol=0, atol=1e-6)
    torch.testing.assert_close(grad, grad_ref, rtol=0, atol=1e-6)


def test_a_non_symmetric_matrix_keeps_its_own_transpose_and_gradcheck_passes():
    rng = np.random.default_rng(1)
    matrix = sp.random(7, 7, density=0.4, random_state=rng, dtype=np.float64)
    adjacency = Adjacency.from_scipy(matrix)
    assert not adjacency.symmetric
    assert np.allclose(adjacency.transpose.to_dense().numpy(), matrix.T.toarray(), atol=1e-6)
    as_double = Adjacency(
        adjacency.matrix.crow_indices(), adjacency.matrix.col_indices(), adjacency.matrix.values().double(), (7, 7)
    )
    x = torch.randn(7, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: propagate(as_double, v), (x,))


def test_edge_dropout_keeps_the_expected_share_and_rescales():
    graph = normalized_adjacency(*_bipartite(n_pairs=3000))
    torch.manual_seed(0)
    dropped = graph.drop_edges(0.5)
    assert abs(dropped.nnz() / graph.nnz() - 0.5) < 0.05
    kept = dropped.to_dense() != 0
    assert torch.allclose(dropped.to_dense()[kept], graph.to_dense()[kept] / 0.5)
    assert dropped.transpose.to_dense().count_nonzero() == dropped.nnz()


def test_propagation_without_grad_is_the_plain_product():
    graph = normalized_adjacency(*_bipartite())
    x = torch.randn(graph.size[0], 4)
    assert torch.equal(propagate(graph, x), torch.sparse.mm(graph.matrix, x))
