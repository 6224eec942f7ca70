"""Loss functions shared by SimGCL, RLMRec and DaRec, each on the rows it is given."""

import torch
import torch.nn.functional as F


def info_nce(anchors, positives, temperature):
    """Mean InfoNCE with cosine similarity: row i of ``anchors`` against all rows of ``positives``, i is positive."""
    logits = F.normalize(anchors, dim=1) @ F.normalize(positives, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(anchors), device=anchors.device))


def orthogonality(specific, shared):
    """mean_i cos(specific_i, shared_i)^2: 0 for orthogonal pairs, 1 for parallel ones (DaRec's L_or)."""
    return F.cosine_similarity(specific, shared, dim=1).pow(2).mean()


def uniformity(x, t=2.0):
    """log mean_{i<j} exp(-t ||x_i - x_j||^2) over l2-normalised rows (Wang & Isola); lower = more spread."""
    return torch.pdist(F.normalize(x, dim=1), p=2).pow(2).mul(-t).exp().mean().log()


def similarity_structure(a, b):
    """Mean squared difference of the two sides' cosine-similarity matrices (DaRec's L_glo, our choice of form)."""
    sa = F.normalize(a, dim=1)
    sb = F.normalize(b, dim=1)
    return (sa @ sa.T - sb @ sb.T).pow(2).mean()


def center_alignment(centers_a, centers_b, kind="mse", temperature=0.2):
    """Pull matched preference centers together (DaRec's L_loc; the form is our choice).

    ``mse``: mean squared distance of the l2-normalised centers; ``infonce``: center-level
    InfoNCE where center k of one side must pick center k of the other.
    """
    if kind == "mse":
        return (F.normalize(centers_a, dim=1) - F.normalize(centers_b, dim=1)).pow(2).sum(dim=1).mean()
    if kind == "infonce":
        return info_nce(centers_a, centers_b, temperature)
    raise ValueError(f"unknown center loss '{kind}'")


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


def _has_torch_scatter():
    try:
        import torch_scatter  # noqa: F401
    except ImportError:
        return False
    return True
