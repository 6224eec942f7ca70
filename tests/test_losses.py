"""DaRec's, RLMRec's and SimGCL's loss functions on hand-made tensors (recbole_darec.model.losses)."""

import math

import pytest
import torch
import torch.nn.functional as F

from recbole_darec.model.losses import (
    center_alignment,
    cluster_means,
    cross_alignment,
    orthogonality,
    similarity_structure,
    uniformity,
)


def unit(x):
    return torch.nn.functional.normalize(x, dim=-1)


def test_orthogonality_is_zero_for_orthogonal_and_one_for_parallel_pairs():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert orthogonality(unit(a), unit(torch.tensor([[0.0, 3.0], [-1.0, 0.0]]))).item() == pytest.approx(0.0)
    assert orthogonality(unit(a), unit(5 * a)).item() == pytest.approx(1.0)
    assert orthogonality(unit(a), unit(-a)).item() == pytest.approx(1.0)


def test_uniformity_is_lower_for_spread_rows_than_collapsed_ones(cosine_gram):
    spread = torch.eye(8)
    collapsed = torch.ones(8, 8) + 0.01 * torch.randn(8, 8, generator=torch.Generator().manual_seed(0))
    assert uniformity(cosine_gram(spread)).item() < uniformity(cosine_gram(collapsed)).item()
    assert uniformity(cosine_gram(spread)).item() == pytest.approx(-4.0)  # all pairs at squared distance 2
    assert uniformity(cosine_gram(collapsed)).item() == pytest.approx(0.0, abs=1e-3)


def test_uniformity_matches_the_pairwise_definition(cosine_gram):
    x = torch.randn(12, 5, generator=torch.Generator().manual_seed(7))
    by_pairs = torch.pdist(unit(x)).pow(2).mul(-2).exp().mean().log()
    assert uniformity(cosine_gram(x)).item() == pytest.approx(by_pairs.item(), abs=1e-5)


def test_global_loss_is_zero_for_identical_similarity_structure(cosine_gram):
    x = torch.randn(10, 4, generator=torch.Generator().manual_seed(1))
    rotation, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(2)))
    other = torch.randn(10, 4, generator=torch.Generator().manual_seed(3))
    for kind in ("mse", "kl"):
        same = similarity_structure(cosine_gram(x), cosine_gram(3 * x @ rotation), kind, 0.2)
        assert same.item() == pytest.approx(0.0, abs=1e-5)
        assert similarity_structure(cosine_gram(x), cosine_gram(other), kind, 0.2).item() > 0.05


def test_kl_global_form_matches_a_written_out_divergence(cosine_gram):
    """mean_i KL(p_b(.|i) || p_a(.|i)), p(j|i) = exp(g_ij / t) / sum_{l != i} exp(g_il / t) over j != i."""
    a, b = (
        cosine_gram(torch.randn(6, 3, generator=torch.Generator().manual_seed(12))),
        cosine_gram(torch.randn(6, 3, generator=torch.Generator().manual_seed(13))),
    )
    t, total = 0.3, 0.0
    for i in range(6):
        others = [j for j in range(6) if j != i]
        p_a = torch.stack([a[i, j] / t for j in others]).softmax(dim=0)
        p_b = torch.stack([b[i, j] / t for j in others]).softmax(dim=0)
        total += float((p_b * (p_b / p_a).log()).sum())
    assert similarity_structure(a, b, "kl", t).item() == pytest.approx(total / 6, rel=1e-5)
    assert similarity_structure(b, a, "kl", t).item() != pytest.approx(total / 6, rel=1e-3)  # not symmetric


def test_cross_side_global_loss_singles_out_each_rows_counterpart():
    x = unit(torch.randn(2, 8, 4, generator=torch.Generator().manual_seed(4)))
    noisy = unit(x + 0.05 * torch.randn(2, 8, 4, generator=torch.Generator().manual_seed(5)))
    aligned = cross_alignment(x @ noisy.transpose(-1, -2), 0.2)
    assert aligned.shape == (2,)
    for side in range(2):  # each leading set is its own mean InfoNCE
        logits = x[side] @ noisy[side].T / 0.2
        assert aligned[side].item() == pytest.approx(F.cross_entropy(logits, torch.arange(8)).item(), abs=1e-5)
    shuffled = cross_alignment(
        x @ noisy[:, torch.randperm(8, generator=torch.Generator().manual_seed(6))].transpose(-1, -2), 0.2
    )
    assert (aligned < shuffled).all()
    # collapse of both sides, which zeroes the mse and kl forms, leaves the chance level log(n)
    collapsed = torch.ones(1, 8, 8)
    assert cross_alignment(collapsed, 0.2).item() == pytest.approx(math.log(8), abs=1e-5)
    assert similarity_structure(collapsed, collapsed, "kl", 0.2).item() == pytest.approx(0.0, abs=1e-6)


def test_pairwise_terms_give_one_value_per_leading_set(cosine_gram):
    x = torch.randn(3, 2, 6, 4, generator=torch.Generator().manual_seed(8))
    y = torch.randn(3, 2, 6, 4, generator=torch.Generator().manual_seed(9))
    batched = [
        orthogonality(unit(x), unit(y)),
        uniformity(cosine_gram(x)),
        similarity_structure(cosine_gram(x), cosine_gram(y)),
    ]
    singles = [
        [
            orthogonality(unit(x[i, j]), unit(y[i, j])),
            uniformity(cosine_gram(x[i, j])),
            similarity_structure(cosine_gram(x[i, j]), cosine_gram(y[i, j])),
        ]
        for i in range(3)
        for j in range(2)
    ]
    for term, values in enumerate(batched):
        assert values.shape == (3, 2)
        assert torch.allclose(values.flatten(), torch.stack([s[term] for s in singles]), atol=1e-6)


def test_local_loss_is_zero_when_matched_centers_coincide():
    centers = torch.randn(5, 4, generator=torch.Generator().manual_seed(4))
    assert center_alignment(centers, 2 * centers, "mse").item() == pytest.approx(0.0, abs=1e-6)
    assert center_alignment(centers, centers.flip(0), "mse").item() > 0.1
    assert center_alignment(torch.eye(4), torch.eye(4), "infonce", 0.05).item() < 1e-6


@pytest.mark.parametrize("kind", ["mse", "infonce"])
def test_center_loss_ignores_absent_centers(kind):
    a = torch.randn(6, 4, generator=torch.Generator().manual_seed(10))
    b = torch.randn(6, 4, generator=torch.Generator().manual_seed(11))
    present = torch.tensor([True, False, True, True, False, True])
    masked = center_alignment(a, b, kind, 0.2, present)
    assert masked.item() == pytest.approx(center_alignment(a[present], b[present], kind, 0.2).item(), abs=1e-5)
    one_left = torch.tensor([True] + [False] * 5)
    assert center_alignment(a, b, kind, 0.2, one_left).item() == 0.0  # fewer than two centers: no term
    b.requires_grad_(True)
    center_alignment(a, b, kind, 0.2, present).backward()
    assert torch.isfinite(b.grad).all() and b.grad[~present].abs().sum() == 0


def test_cluster_means_torch_backend():
    x = torch.tensor([[1.0, 1.0], [3.0, 3.0], [5.0, 0.0]])
    means, counts = cluster_means(x, torch.tensor([0, 0, 2]), 3, backend="torch")
    assert torch.equal(counts, torch.tensor([2, 0, 1]))
    assert torch.allclose(means, torch.tensor([[2.0, 2.0], [0.0, 0.0], [5.0, 0.0]]))


def test_torch_and_torch_scatter_give_the_same_centers():
    pytest.importorskip("torch_scatter", reason="optional: pip install --no-build-isolation torch-scatter")
    x = torch.randn(200, 16, generator=torch.Generator().manual_seed(5))
    index = torch.randint(0, 7, (200,), generator=torch.Generator().manual_seed(6))
    a, ca = cluster_means(x, index, 9, backend="torch")
    b, cb = cluster_means(x, index, 9, backend="torch_scatter")
    assert torch.equal(ca, cb) and torch.allclose(a, b, atol=1e-6)


def test_cka_form_is_zero_for_a_rotation_and_not_met_by_a_collapse():
    from recbole_darec.model.losses import cka_alignment

    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 64, 8, generator=g)
    rotation = torch.linalg.qr(torch.randn(8, 8, generator=g))[0]
    assert torch.allclose(cka_alignment(x, 2.0 * x @ rotation), torch.zeros(3), atol=1e-5)
    unrelated = cka_alignment(x, torch.randn(3, 64, 8, generator=g))
    collapsed = cka_alignment(torch.ones(3, 64, 8) + 1e-6 * torch.randn(3, 64, 8, generator=g), x)
    assert (unrelated > 0.5).all() and (collapsed > 0.5).all()
