"""DaRec's local alignment on its own (recbole_darec.model.preference_centers): no dataset or model needed."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recbole_darec.model.preference_centers import PreferenceCenters


def clustered(n_per=40, k=4, dim=8, seed=0, noise=0.05):
    """Unit rows around ``k`` orthogonal directions, and their true cluster."""
    g = torch.Generator().manual_seed(seed)
    directions = torch.eye(dim)[torch.randperm(dim, generator=g)[:k]]
    labels = torch.arange(k).repeat_interleave(n_per)
    rows = F.normalize(directions[labels] + noise * torch.randn(len(labels), dim, generator=g), dim=1)
    return rows, labels


@pytest.mark.parametrize("matching", ["joint", "hungarian"])
def test_refit_recovers_clusters_and_warm_starts_keep_their_identities(matching):
    rows, labels = clustered()
    centers = PreferenceCenters(4, 8, matching=matching)
    llm = (
        rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(1))] if matching == "hungarian" else rows
    )
    centers.refit(0, rows, llm, np.random.default_rng(0))
    cf_cluster, _ = centers.assign(rows.unsqueeze(0).expand(2, -1, -1), llm.unsqueeze(0).expand(2, -1, -1))
    # every true cluster maps to one fitted cluster
    assert all(len(torch.unique(cf_cluster[0][labels == c])) == 1 for c in range(4))
    first = centers.centers_cf[0].clone()
    centers.refit(0, rows, llm, np.random.default_rng(5))  # warm start from the stored centers
    assert torch.equal(torch.cdist(centers.centers_cf[0], first).argmin(dim=1), torch.arange(4))


def test_hungarian_matching_pairs_the_llm_centers_with_their_cf_counterparts():
    rows, labels = clustered(seed=2)
    llm = F.normalize(rows + 0.05 * torch.randn(rows.shape, generator=torch.Generator().manual_seed(3)), dim=1)
    centers = PreferenceCenters(4, 8, matching="hungarian")
    centers.refit(0, rows, llm, np.random.default_rng(0))  # separate clusterings, numbered independently
    cf_cluster, llm_cluster = centers.assign(rows.expand(2, -1, -1), llm.expand(2, -1, -1))
    assert torch.equal(cf_cluster[0], llm_cluster[0])  # each LLM center is matched to its CF counterpart


def test_loss_is_zero_for_identical_sides_and_positive_for_centers_apart():
    rows, _ = clustered(seed=4)
    pair = rows.expand(2, -1, -1)
    centers = PreferenceCenters(4, 8, matching="hungarian", center_loss="mse")
    centers.refit(0, rows, rows, np.random.default_rng(0))
    centers.refit(1, rows, rows, np.random.default_rng(0))
    assert float(centers.loss(pair, pair)) == pytest.approx(0.0, abs=1e-6)
    # centers compare cluster means, so the order of rows within a side does not matter ...
    shuffled = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(9))].expand(2, -1, -1)
    assert float(centers.loss(pair, shuffled)) == pytest.approx(0.0, abs=1e-6)
    # ... where the clusters lie does: the LLM side's clusters moved to other directions
    moved = torch.roll(rows, shifts=1, dims=1).expand(2, -1, -1)
    assert float(centers.loss(pair, moved)) > 0.1


def test_an_emptied_cluster_restarts_with_kmeans_plus_plus():
    rows, _ = clustered(seed=6)
    centers = PreferenceCenters(4, 8, matching="joint")
    centers.refit(1, rows, rows, np.random.default_rng(0))
    centers.centers_cf[1, 0] = 100.0  # a center no row is near: its cluster empties
    centers.refit(1, rows, rows, np.random.default_rng(0))
    assert torch.isfinite(centers.centers_cf).all() and centers.centers_cf[1].abs().max() < 10
