"""DaRec's local structure alignment: preference centers, their refits, matching and loss.

Our reconstruction (the paper publishes the idea, not the algorithm; every choice is a config key
read by :class:`recbole_darec.model.darec.DaRecAlignment`): K-means (scipy's ``kmeans2``) on the
unit shared parts of a node sample, refitted by the caller every few steps and warm-started from
the previous centers (k-means++ on the first fit or after a cluster emptied), so cluster
identities persist; batch rows go to their nearest stored center, and each side's per-cluster
means of the CF and the LLM rows are pulled together (``center_loss``: mse or infonce).
``matching: joint`` clusters the concatenated shared parts of both sides, so both sides' centers
come from one assignment; ``hungarian`` clusters each side alone and matches centers by maximum
cosine (``linear_sum_assignment``). Works on tensors alone: no dataset or model is needed.
"""

import torch
from scipy.cluster.vq import ClusterError, kmeans2
from scipy.optimize import linear_sum_assignment
from torch import nn

from recbole_darec.model.losses import center_alignment, cluster_means

SIDES = 2  # 0: users, 1: items


class PreferenceCenters(nn.Module):
    def __init__(
        self, n_clusters, dim, matching="joint", center_loss="infonce", temperature=0.2, scatter_backend="auto"
    ):
        super().__init__()
        self.n_clusters, self.matching, self.center_loss = n_clusters, matching, center_loss
        self.temperature, self.scatter_backend = temperature, scatter_backend
        width = 2 * dim if matching == "joint" else dim
        # joint: [K, 2d] centers of the concatenated shared parts, the same on both sides;
        # hungarian: each side's own [K, d] centers and the matching of LLM to CF centers.
        self.register_buffer("centers_cf", torch.zeros(SIDES, n_clusters, width))
        self.register_buffer("centers_llm", torch.zeros(SIDES, n_clusters, width))
        self.register_buffer("match", torch.arange(n_clusters).repeat(SIDES, 1))
        self.register_buffer("fitted", torch.zeros(SIDES, dtype=torch.bool))

    def _kmeans(self, x, previous, fitted, rng):
        x, centers = x.cpu().double().numpy(), None
        if fitted:
            try:
                centers, _ = kmeans2(x, previous.cpu().double().numpy(), minit="matrix", missing="raise")
            except ClusterError:  # a cluster emptied: start afresh
                pass
        if centers is None:
            centers, _ = kmeans2(x, self.n_clusters, minit="++", seed=rng)
        return torch.as_tensor(centers, dtype=torch.float32, device=previous.device)

    @torch.no_grad()
    def refit(self, side, cf_unit, llm_unit, rng):
        """K-means on one side's unit shared parts ``[n, d]`` of CF and LLM rows (the same nodes)."""
        fitted = bool(self.fitted[side])
        if self.matching == "joint":
            joint = self._kmeans(torch.cat([cf_unit, llm_unit], dim=1), self.centers_cf[side], fitted, rng)
            self.centers_cf[side] = self.centers_llm[side] = joint
        else:
            self.centers_cf[side] = self._kmeans(cf_unit, self.centers_cf[side], fitted, rng)
            self.centers_llm[side] = self._kmeans(llm_unit, self.centers_llm[side], fitted, rng)
            similarity = (
                nn.functional.normalize(self.centers_cf[side], dim=1)
                @ nn.functional.normalize(self.centers_llm[side], dim=1).T
            )
            self.match[side] = torch.as_tensor(linear_sum_assignment(-similarity.cpu().numpy())[1])
        self.fitted[side] = True

    @staticmethod
    def nearest(x, centers):
        """Index of the nearest center of each row: argmin ||c||^2 - 2 x.c, one batched matmul."""
        return (centers.pow(2).sum(dim=-1).unsqueeze(-2) - 2 * x @ centers.transpose(-1, -2)).argmin(dim=-1)

    def assign(self, cf_unit, llm_unit):
        """Cluster of every row, ``([sides, n], [sides, n])`` for the CF and the LLM rows, in CF cluster ids."""
        if self.matching == "joint":
            joint = self.nearest(torch.cat([cf_unit, llm_unit], dim=-1).detach(), self.centers_cf)
            return joint, joint
        cf_cluster = self.nearest(cf_unit.detach(), self.centers_cf)
        # relabel LLM clusters with the CF cluster they are matched to
        llm_cluster = torch.argsort(self.match, dim=1).gather(1, self.nearest(llm_unit.detach(), self.centers_llm))
        return cf_cluster, llm_cluster

    def loss(self, cf_unit, llm_unit):
        """L_loc summed over users and items, from unit shared rows ``[sides, n, d]`` of each side."""
        cf_cluster, llm_cluster = self.assign(cf_unit, llm_unit)
        # One reduction for all four groupings: (CF, LLM) x (users, items), K clusters each.
        k = self.n_clusters
        offsets = torch.arange(0, 4 * k, k, device=cf_unit.device).view(2, SIDES, 1)
        group = torch.stack([cf_cluster, llm_cluster]) + offsets
        means, counts = cluster_means(
            torch.stack([cf_unit, llm_unit]).flatten(0, 2), group.flatten(), 4 * k, self.scatter_backend
        )
        means, counts = means.view(2, SIDES, k, -1), counts.view(2, SIDES, k)
        present = (counts[0] > 0) & (counts[1] > 0)
        return center_alignment(means[0], means[1], self.center_loss, self.temperature, present).sum()
