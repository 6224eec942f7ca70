"""DaRec: disentangled alignment of collaborative and LLM-profile representations.

Published (Yang et al., ICDE 2025): four projection heads split each side into a
*shared* and a *specific* part; L_or keeps each specific part orthogonal to its shared
part; L_uni keeps the specific parts spread out; only the shared parts are aligned,
globally through similarity structure (L_glo) and locally through preference centers
(L_loc). Objective: backbone loss + weighted terms; inference uses the backbone only.

Our reconstruction (no code is public; each choice is configurable):
* heads: linear maps or RLMRec-projector-shaped MLPs (d_in -> (d_in+d)/2 -> LeakyReLU -> d),
  chosen per side (``darec_cf_head``, ``darec_llm_head``); d = the backbone's embedding size;
* every term is computed on n = min(``darec_row_sample``, unique users, unique items) of the
  batch's unique users and as many of its unique (positive and negative) items: a stochastic
  estimate of the batch's terms. Equal counts let users and items share one batched
  computation per term, which keeps DaRec's cost a small fraction of the backbone's
  (docs/results/cost.md). Every term is summed over the user and the item side;
* L_glo: how far the cosine-similarity matrices of the two sides' shared parts are apart:
  their mean squared difference, or the KL divergence of each row's softmax neighbour
  distribution of the CF side from the LLM side's (``darec_global_loss``: mse | kl); or, with
  ``infonce``, the cross-side similarity matrix (CF shared row i against LLM shared row j) must
  single out each row's own counterpart, which the first two forms cannot enforce: both sides'
  shared parts collapsing to one point meets them at zero loss;
* L_loc: K-means (scipy's ``kmeans2``) on the normalised shared parts of at most
  ``darec_cluster_sample`` nodes, refitted every ``darec_cluster_interval`` steps and warm-started
  from the previous centers (k-means++ on the first fit); batch rows are assigned to the
  nearest stored center and the batch's per-cluster means of each side's normalised shared
  rows are pulled together (``darec_center_loss``: mse or infonce).
  ``darec_center_matching: joint`` clusters the concatenated, normalised shared parts of
  both sides, so both sides' centers come from the same assignment; ``hungarian``
  clusters each side alone and matches centers by maximum cosine (linear_sum_assignment).
"""

import numpy as np
import torch
import torch.nn.functional as F
from scipy.cluster.vq import ClusterError, kmeans2
from scipy.optimize import linear_sum_assignment
from torch import nn

from recbole_darec.config import ConfigError, check_value
from recbole_darec.model.aligned import ProfileAligned, ProfileAlignment, weight
from recbole_darec.model.losses import (center_alignment, cluster_means, cross_alignment, orthogonality,
                                        similarity_structure, uniformity)


class DisentangledHeads(nn.Module):
    """Shared and specific projections of one side: two independent heads, computed in one pass.

    ``linear``: two linear maps. ``mlp``: two RLMRec-style MLPs (in -> (in+out)/2 ->
    LeakyReLU -> out). The first layers of both heads are stacked into one matrix so a
    single matmul serves both; the parameters stay independent.
    """

    def __init__(self, in_dim, out_dim, kind):
        super().__init__()
        hidden = out_dim if kind == "linear" else (in_dim + out_dim) // 2
        self.first = nn.Linear(in_dim, 2 * hidden)
        self.second = None
        if kind == "mlp":
            self.second = nn.ModuleList([nn.Linear(hidden, out_dim), nn.Linear(hidden, out_dim)])
            self.activation = nn.LeakyReLU()
        for layer in [self.first, *(self.second or [])]:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        shared, specific = self.first(x).chunk(2, dim=1)
        if self.second is not None:
            shared = self.second[0](self.activation(shared))
            specific = self.second[1](self.activation(specific))
        return shared, specific


class DaRecAlignment(ProfileAlignment):
    """DaRec's heads and its four weighted terms on a sample of each batch's users and items."""

    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        self.weights = {name: weight(config, f"darec_{name}_weight") for name in ("or", "uni", "glo", "loc")}
        self.n_clusters = check_value(config, "darec_n_clusters", int, 2)
        largest_k = min(n_users, n_items) - 1
        if self.n_clusters > largest_k:
            raise ConfigError(f"darec_n_clusters = {self.n_clusters} exceeds the {largest_k} real users/items "
                              f"of the smaller side; choose at most {largest_k}.")
        self.interval = check_value(config, "darec_cluster_interval", int, 1)
        self.cluster_sample = check_value(config, "darec_cluster_sample", int, self.n_clusters)
        self.row_sample = check_value(config, "darec_row_sample", int, 2)
        self.matching = check_value(config, "darec_center_matching", str, None, choices={"joint", "hungarian"})
        self.center_loss = check_value(config, "darec_center_loss", str, None, choices={"mse", "infonce"})
        self.temperature = check_value(config, "darec_center_temperature", float, 0.0, inclusive=False)
        self.global_loss = check_value(config, "darec_global_loss", str, None, choices={"mse", "kl", "infonce"})
        self.global_temperature = check_value(config, "darec_global_temperature", float, 0.0, inclusive=False)
        self.scatter_backend = check_value(config, "darec_scatter_backend", str, None,
                                           choices={"auto", "torch", "torch_scatter"})
        heads = {side: check_value(config, f"darec_{side}_head", str, None, choices={"linear", "mlp"})
                 for side in ("cf", "llm")}
        self.seed = config["seed"]
        self.cf_heads = DisentangledHeads(cf_dim, cf_dim, heads["cf"])
        self.llm_heads = DisentangledHeads(llm_dim, cf_dim, heads["llm"])
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        width = 2 * cf_dim if self.matching == "joint" else cf_dim
        # Index 0: users, 1: items. joint: [K, 2d] centers of the concatenated shared parts, the
        # same on both sides; hungarian: each side's own [K, d] centers and the matching of LLM to CF.
        self.register_buffer("centers_cf", torch.zeros(2, self.n_clusters, width))
        self.register_buffer("centers_llm", torch.zeros(2, self.n_clusters, width))
        self.register_buffer("match", torch.arange(self.n_clusters).repeat(2, 1))

    def _generator(self, salt):
        """A random stream per step and purpose, independent of torch's global one (resume-safe)."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + int(self.step) * 7 + salt)

    @staticmethod
    def _sample(rows, size, generator):
        if len(rows) <= size:
            return rows
        return rows[torch.randperm(len(rows), generator=generator)[:size].to(rows.device)]

    @torch.no_grad()
    def _refit_centers(self, side, cf_all, llm_all):
        """K-means on a bounded node sample of the shared parts of one side (0: users, 1: items).

        Incremental: each refit starts from the previous centers (k-means++ on the first fit,
        or when a cluster has emptied), so cluster identities persist between refits.
        """
        nodes = self._sample(torch.arange(1, len(cf_all)), self.cluster_sample, self._generator(11 + side))
        nodes = nodes.to(cf_all.device)  # row 0 is RecBole's [PAD]
        cf_sh = F.normalize(self.cf_heads(cf_all[nodes])[0], dim=1)
        llm_sh = F.normalize(self.llm_heads(llm_all[nodes])[0], dim=1)
        rng = np.random.default_rng(self.seed + int(self.step))

        def fit(x, previous):
            x, centers = x.cpu().double().numpy(), None
            if int(self.step):
                try:
                    centers, _ = kmeans2(x, previous.cpu().double().numpy(), minit="matrix", missing="raise")
                except ClusterError:  # a cluster emptied: start afresh
                    pass
            if centers is None:
                centers, _ = kmeans2(x, self.n_clusters, minit="++", seed=rng)
            return torch.as_tensor(centers, dtype=torch.float32, device=cf_all.device)

        if self.matching == "joint":
            joint = fit(torch.cat([cf_sh, llm_sh], dim=1), self.centers_cf[side])
            self.centers_cf[side] = self.centers_llm[side] = joint
            return
        self.centers_cf[side] = fit(cf_sh, self.centers_cf[side])
        self.centers_llm[side] = fit(llm_sh, self.centers_llm[side])
        similarity = F.normalize(self.centers_cf[side], dim=1) @ F.normalize(self.centers_llm[side], dim=1).T
        self.match[side] = torch.as_tensor(linear_sum_assignment(-similarity.cpu().numpy())[1])

    def local_loss(self, cf_unit, llm_unit):
        """L_loc summed over users and items: batch rows (unit shared parts, [2, n, d]) go to their
        nearest stored centers, and each side's per-cluster means of the CF and LLM rows are pulled together."""
        if self.matching == "joint":
            cf_cluster = llm_cluster = self._nearest(torch.cat([cf_unit, llm_unit], dim=-1).detach(), self.centers_cf)
        else:
            cf_cluster = self._nearest(cf_unit.detach(), self.centers_cf)
            # relabel LLM clusters with the CF cluster they are matched to
            llm_cluster = torch.argsort(self.match, dim=1).gather(1, self._nearest(llm_unit.detach(), self.centers_llm))
        # One reduction for all four groupings: (CF, LLM) x (users, items), K clusters each.
        k = self.n_clusters
        group = torch.stack([cf_cluster, llm_cluster]) + torch.arange(0, 4 * k, k, device=cf_unit.device).view(2, 2, 1)
        means, counts = cluster_means(torch.stack([cf_unit, llm_unit]).flatten(0, 2), group.flatten(), 4 * k,
                                      self.scatter_backend)
        means, counts = means.view(2, 2, k, -1), counts.view(2, 2, k)
        present = (counts[0] > 0) & (counts[1] > 0)
        return center_alignment(means[0], means[1], self.center_loss, self.temperature, present).sum()

    @staticmethod
    def _nearest(x, centers):
        """Index of the nearest center of each row: argmin ||c||^2 - 2 x.c, one batched matmul."""
        return (centers.pow(2).sum(dim=-1).unsqueeze(-2) - 2 * x @ centers.transpose(-1, -2)).argmin(dim=-1)

    def loss(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not any(self.weights.values()):
            return {}
        if self.weights["loc"] and int(self.step) % self.interval == 0:
            self._refit_centers(0, user_all, user_profile)
            self._refit_centers(1, item_all, item_profile)
        # As many users as items, so both sides stack into one batched computation per term.
        users, items = torch.unique(users), torch.unique(torch.cat([pos_items, neg_items]))
        n = min(self.row_sample, len(users), len(items))
        generator = self._generator(3)
        users, items = self._sample(users, n, generator), self._sample(items, n, generator)
        self.step += 1
        if n < 2:  # a one-row batch has no pairs to compare
            return {}
        cf_sh, cf_sp = self.cf_heads(torch.cat([user_all[users], item_all[items]]))
        llm_sh, llm_sp = self.llm_heads(torch.cat([user_profile[users], item_profile[items]]))
        # Normalised once, [part (CF/LLM shared, CF/LLM specific), side (users/items), n, d].
        units = F.normalize(torch.stack([cf_sh, llm_sh, cf_sp, llm_sp]).view(4, 2, n, -1), dim=-1)
        grams = units @ units.transpose(-1, -2) if self.weights["uni"] or self.weights["glo"] else None
        terms = {}
        if self.weights["or"]:
            terms["or"] = orthogonality(units[2:], units[:2]).sum()
        if self.weights["uni"]:
            terms["uni"] = uniformity(grams[2:]).sum()
        if self.weights["glo"]:
            if self.global_loss == "infonce":
                terms["glo"] = cross_alignment(units[0] @ units[1].transpose(-1, -2), self.global_temperature).sum()
            else:
                terms["glo"] = similarity_structure(grams[0], grams[1], self.global_loss,
                                                    self.global_temperature).sum()
        if self.weights["loc"]:
            terms["loc"] = self.local_loss(units[0], units[1])
        return {f"darec_{name}": self.weights[name] * value for name, value in terms.items()}


class DaRec(ProfileAligned):
    """Mixin: ``class DaRecLightGCN(DaRec, LightGCN)``. Defaults in properties/model/DaRec.yaml."""

    alignment_class = DaRecAlignment
