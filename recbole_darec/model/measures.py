"""Representation measures (torch only): used by DaRec's training log, ``evaluate --alignment`` and scripts.

``mean_pairwise_cosine`` and ``effective_rank`` detect a collapse; ``linear_cka`` (Kornblith et al., 2019)
and ``knn_overlap`` say how alike two representations of the same rows are (``Reference``: the same against a
fixed one, its half computed once); ``recovered_share`` how much of a
known target (a simulator's true factors) a representation holds.
"""

import torch
import torch.nn.functional as F

from recbole_darec.model.losses import centred_cka, cka_alignment, gram_norm


def mean_pairwise_cosine(x):
    """Mean cosine similarity over distinct pairs of rows: near 1 when the rows have collapsed to one direction."""
    unit = F.normalize(x, dim=1)
    n = len(unit)
    total = unit.sum(dim=0).pow(2).sum() - n  # sum over i != j of u_i . u_j
    return float(total / (n * (n - 1)))


def effective_rank(x):
    """exp of the entropy of the normalised singular values (Roy & Vetterli, 2007), uncentred: 1 when every
    row points the same way (a collapse), up to d."""
    singular = torch.linalg.svdvals(x)
    p = singular / singular.sum().clamp(min=1e-12)
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def linear_cka(x, y):
    """Linear centred kernel alignment of two representations of the same rows, in [0, 1] (the complement of
    DaRec's CKA loss, one formula for both)."""
    return float(1 - cka_alignment(x, y))


def recovered_share(x, target, generator_seed=0):
    """Share of ``target``'s variance that a linear map of ``x`` (with an intercept) predicts on rows it was not
    fitted on: the rows split in two halves at random (seeded), each half's least-squares map scored on the other,
    ``1 - residual / total`` pooled over both; 0 or below when ``x`` says nothing of ``target``, 1 when it holds it
    all. Out of sample, so a wide ``x`` earns nothing from fitting noise."""
    x, target = x.double(), target.double()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(generator_seed))
    halves = order[: len(x) // 2], order[len(x) // 2 :]
    residual = total = 0.0
    for fit, score in (halves, halves[::-1]):
        x_mean, t_mean = x[fit].mean(dim=0), target[fit].mean(dim=0)
        weights = torch.linalg.lstsq(x[fit] - x_mean, target[fit] - t_mean).solution
        predicted = (x[score] - x_mean) @ weights + t_mean
        residual += float((target[score] - predicted).pow(2).sum())
        total += float((target[score] - target[score].mean(dim=0)).pow(2).sum())
    return 1 - residual / total


def nearest_neighbours(x, k=20, chunk=4096, queries=None):
    """Indices ``[queries, k]`` of the ``k`` nearest neighbours (cosine) of each of the first ``queries`` rows
    (default: every row) among all rows, itself excluded. Rows are taken ``chunk`` at a time, so memory is
    ``chunk x n`` similarities, not ``n x n`` (all items of a large catalogue: 50,000 rows would need 10 GB at
    once)."""
    n, k = len(x), min(k, len(x) - 1)
    asking = n if queries is None else min(queries, n)
    unit = F.normalize(x, dim=1)
    found = []
    for start in range(0, asking, chunk):
        rows = torch.arange(start, min(start + chunk, asking), device=x.device)
        similarity = (unit[rows] @ unit.T).index_put_((torch.arange(len(rows)), rows), torch.tensor(-float("inf")))
        found.append(similarity.topk(k).indices)
    return torch.cat(found)


def neighbour_overlap(mine, theirs):
    """Mean share of each row's neighbours (two :func:`nearest_neighbours` results) that both lists hold."""
    return int((mine.unsqueeze(2) == theirs.unsqueeze(1)).any(dim=2).sum()) / mine.numel()


def knn_overlap(x, y, k=20, chunk=4096, queries=None):
    """Mean share of each row's ``k`` nearest neighbours (cosine) that the two representations have in common.
    ``queries``: only the first so many rows look for their neighbours (among all ``n``): for rows in random
    order an unbiased estimate of the same mean, at ``queries / n`` of the cost."""
    return neighbour_overlap(*(nearest_neighbours(z, k, chunk, queries) for z in (x, y)))


class Reference:
    """A representation that stays fixed (the profile vectors of a fixed node sample), prepared once for many
    comparisons with one that changes: its centred rows and their self-similarity norm for CKA, and its rows'
    nearest neighbours. DaRec's training log compares the same nodes every few hundred steps; the profile side's
    half of the work (most of it: 384-d vectors) is then done once per run."""

    def __init__(self, y, k=20, chunk=4096, queries=None):
        self.k, self.chunk, self.queries = k, chunk, queries
        self.centred = y - y.mean(dim=0)
        self.norm = gram_norm(self.centred)
        self.neighbours = nearest_neighbours(y, k, chunk, queries)

    def cka(self, x):
        """``linear_cka(x, y)``, with y's half computed once."""
        return float(centred_cka(x - x.mean(dim=0), self.centred, self.norm))

    def knn_overlap(self, x):
        """``knn_overlap(x, y)``, with y's neighbours found once."""
        return neighbour_overlap(nearest_neighbours(x, self.k, self.chunk, self.queries), self.neighbours)


def alignment_report(cf, profile, shared=None, specific=None, knn_queries=None):
    """Collapse and alignment figures for one side: ``cf`` embeddings and ``profile`` vectors of the same rows
    (a tensor, or a :class:`Reference` of them prepared with ``knn_queries``), optionally the (CF, LLM) pairs of
    shared and of specific parts (``knn_queries``: see ``knn_overlap``). Returns a flat dict of floats."""
    if not isinstance(profile, Reference):
        profile = Reference(profile, queries=knn_queries)
    report = {"cf_profile_cka": profile.cka(cf), "cf_profile_knn20": profile.knn_overlap(cf)}
    for name, parts in (("shared", shared), ("specific", specific)):
        if parts is None:
            continue
        for side, part in zip(("cf", "llm"), parts):
            report[f"{name}_{side}_mean_cos"] = mean_pairwise_cosine(part)
            report[f"{name}_{side}_erank"] = effective_rank(part)
        report[f"{name}_cka"] = linear_cka(*parts)
    return report
