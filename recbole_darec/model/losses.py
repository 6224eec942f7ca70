"""Loss functions shared by SimGCL, RLMRec and DaRec."""

import functools
import math

import torch
import torch.nn.functional as F


def info_nce(anchors, candidates, temperature, positives=None):
    """Mean InfoNCE with cosine similarity: row i of ``anchors`` against every row of ``candidates``.

    The positive of row i is candidate ``positives[i]`` (default: candidate i, for two aligned sets).
    """
    logits = F.normalize(anchors, dim=1) @ F.normalize(candidates, dim=1).T / temperature
    if positives is None:
        positives = torch.arange(len(anchors), device=anchors.device)
    return F.cross_entropy(logits, positives)


# DaRec's pairwise terms take unit rows or Gram matrices of unit rows, so that a model can
# normalise all its representations once and share one batched Gram computation among them.
# Leading dimensions are independent sets of rows, one value each.


def orthogonality(specific, shared):
    """mean_i cos(specific_i, shared_i)^2 of unit rows [..., n, d]: 0 for orthogonal pairs, 1 for parallel (L_or)."""
    return (specific * shared).sum(dim=-1).pow(2).mean(dim=-1)


def uniformity(gram, t=2.0):
    """log mean_{i != j} exp(-t ||x_i - x_j||^2) from the Gram matrix [..., n, n] (n >= 2) of unit rows.

    Wang & Isola's uniformity, lower = more spread; for unit rows ||x_i - x_j||^2 = 2 - 2 x_i.x_j.
    The exponent lies in [-4t, 0], so exp needs no max-shift.
    """
    n = gram.shape[-1]
    diagonal = torch.eye(n, dtype=torch.bool, device=gram.device)
    pair_terms = (2 * t * gram - 2 * t).masked_fill(diagonal, -math.inf).exp()
    return pair_terms.sum(dim=(-1, -2)).div(n * (n - 1)).log()


def similarity_structure(gram_a, gram_b, kind="mse", temperature=0.2):
    """How far two sides' cosine-similarity matrices are apart (DaRec's L_glo; the form is our choice).

    ``mse``: mean squared difference of all entries. ``kl``: mean over rows i of
    KL(p_b(.|i) || p_a(.|i)), where p(j|i) = softmax_{j != i}(gram_ij / temperature): each row's
    neighbour distribution on side a must follow side b's, which weighs close neighbours most.
    """
    if kind == "mse":
        return (gram_a - gram_b).pow(2).mean(dim=(-1, -2))
    if kind != "kl":
        raise ValueError(f"unknown global loss '{kind}'")
    diagonal = torch.eye(gram_a.shape[-1], dtype=torch.bool, device=gram_a.device)
    # the diagonal is left out of the softmax, then zeroed so no -inf reaches the product or its gradient
    log_a, log_b = (
        (g / temperature).masked_fill(diagonal, -math.inf).log_softmax(dim=-1).masked_fill(diagonal, 0.0)
        for g in (gram_a, gram_b)
    )
    return (log_b.exp() * (log_b - log_a)).sum(dim=-1).mean(dim=-1)


def cross_alignment(cross_gram, temperature=0.2):
    """InfoNCE over a cross-side cosine-similarity matrix [..., n, n] (entry ij: row i of side a
    against row j of side b): each row's own counterpart must be its most similar (one form of
    DaRec's L_glo; our choice). Unlike comparing the two sides' own similarity matrices, this cannot be
    met by collapsing both sides' shared parts to one point.
    """
    logits = cross_gram / temperature
    target = torch.arange(logits.shape[-1], device=logits.device).expand(logits.shape[:-1])
    return F.cross_entropy(logits.flatten(0, -2), target.flatten(), reduction="none").view(target.shape).mean(dim=-1)


def cka_alignment(a, b):
    """1 - linear CKA of two representations of the same rows, ``[..., n, d_a]`` and ``[..., n, d_b]`` (one value
    per leading set; one form of DaRec's L_glo, our choice). 0 when one side is a rotation and scaling of the
    other; a side that collapses to one point has no centred variance, so a collapse cannot meet it."""
    a, b = a - a.mean(dim=-2, keepdim=True), b - b.mean(dim=-2, keepdim=True)
    return 1 - centred_cka(a, b, gram_norm(b))


def gram_norm(x):
    """``||x^T x||_F`` of rows ``[..., n, d]``: the self-similarity scale in linear CKA."""
    return (x.transpose(-1, -2) @ x).pow(2).sum(dim=(-1, -2)).sqrt()


def centred_cka(a, b, b_norm):
    """Linear CKA of centred rows ``a`` and ``b`` given ``b``'s :func:`gram_norm` (so that a fixed ``b``'s can be
    computed once: :class:`recbole_darec.model.measures.Reference`)."""
    cross = (b.transpose(-1, -2) @ a).pow(2).sum(dim=(-1, -2))
    return cross / (gram_norm(a) * b_norm).clamp(min=1e-12)


def center_alignment(centers_a, centers_b, kind="mse", temperature=0.2, present=None):
    """Pull matched preference centers together (DaRec's L_loc; the form is our choice).

    ``mse``: mean squared distance of the l2-normalised centers; ``infonce``: center-level
    InfoNCE where center k of one side must pick center k of the other. Centers are
    [..., K, d] (leading dimensions: independent sets, one value each); ``present`` [..., K]
    marks the centers that take part (default: all); a set with fewer than two gives 0.
    """
    if present is None:
        present = torch.ones(centers_a.shape[:-1], dtype=torch.bool, device=centers_a.device)
    a, b = F.normalize(centers_a, dim=-1), F.normalize(centers_b, dim=-1)
    if kind == "mse":
        per_center = (a - b).pow(2).sum(dim=-1)
    elif kind == "infonce":
        logits = (a @ b.transpose(-1, -2) / temperature).masked_fill(~present.unsqueeze(-2), -math.inf)
        per_center = -torch.diagonal(logits.log_softmax(dim=-1), dim1=-2, dim2=-1)
    else:
        raise ValueError(f"unknown center loss '{kind}'")
    per_center = torch.where(present, per_center, torch.zeros_like(per_center))
    count = present.sum(dim=-1)
    return torch.where(count >= 2, per_center.sum(dim=-1) / count.clamp(min=1), torch.zeros_like(count, dtype=a.dtype))


def cluster_means(x, index, n_clusters, backend="auto"):
    """(means [K, d], counts [K]) of the rows of ``x`` grouped by ``index``.

    ``backend``: ``torch`` (index_add + bincount), ``torch_scatter`` (its scatter_mean,
    if installed) or ``auto`` (torch_scatter when importable). Empty clusters get zero means.
    """
    counts = torch.bincount(index, minlength=n_clusters)
    if backend == "auto":
        backend = "torch_scatter" if _has_torch_scatter() else "torch"
    if backend == "torch_scatter":
        from torch_scatter import scatter_mean

        return scatter_mean(x, index, dim=0, dim_size=n_clusters), counts
    if backend != "torch":
        raise ValueError(f"unknown scatter backend '{backend}'")
    sums = x.new_zeros(n_clusters, x.shape[1]).index_add_(0, index, x)
    return sums / counts.clamp(min=1).unsqueeze(1).to(x.dtype), counts


@functools.cache
def _has_torch_scatter():
    """Probed once: Python does not remember a failed import, and retrying it cost 25 us every step."""
    try:
        import torch_scatter  # noqa: F401
    except ImportError:
        return False
    return True
