"""DaRec: disentangled alignment of collaborative and LLM-profile representations.

Published (Yang et al., ICDE 2025): four projection heads split each side into a
*shared* and a *specific* part; L_or keeps each specific part orthogonal to its shared
part; L_uni keeps the specific parts spread out; only the shared parts are aligned,
globally through similarity structure (L_glo) and locally through preference centers
(L_loc). Objective: backbone loss + weighted terms; inference uses the backbone only.

Our reconstruction (no code is public; each choice is configurable):
* heads: linear maps or RLMRec-projector-shaped MLPs (d_in -> (d_in+d)/2 -> LeakyReLU -> d),
  chosen per side (``darec_cf_head``, ``darec_llm_head``); d = the backbone's embedding size;
* every term is computed on at most ``darec_row_sample`` of the batch's unique users and,
  separately, of its unique (positive and negative) items: a stochastic estimate of the
  batch's terms that keeps DaRec's cost a small fraction of the backbone's
  (docs/results/cost.md);
* L_glo: mean squared difference of cosine-similarity matrices of the shared parts;
* L_loc: K-means (scipy's ``kmeans2``, k-means++) fitted every
  ``darec_cluster_interval`` steps on at most ``darec_cluster_sample`` nodes; batch rows
  are assigned to the nearest stored center and the batch's per-cluster means of each
  side are pulled together (``darec_center_loss``: mse or infonce).
  ``darec_center_matching: joint`` clusters the concatenated, normalised shared parts of
  both sides, so both sides' centers come from the same assignment; ``hungarian``
  clusters each side alone and matches centers by maximum cosine (linear_sum_assignment).
"""

import numpy as np
import torch
import torch.nn.functional as F
from scipy.cluster.vq import kmeans2
from scipy.optimize import linear_sum_assignment
from torch import nn

from recbole_darec.config import ConfigError, check_value
from recbole_darec.model.aligned import ProfileAligned, ProfileAlignment, weight
from recbole_darec.model.losses import (center_alignment, cluster_means, orthogonality, similarity_structure,
                                        uniformity)


class DisentangledHeads(nn.Module):
    """Shared and specific projections of one side: two independent heads, computed in one pass.

    ``linear``: two linear maps. ``mlp``: two RLMRec-style MLPs (in -> (in+out)/2 ->
    LeakyReLU -> out). The first layers of both heads are stacked into one matrix so a
    single matmul serves both; the parameters stay independent.
    """

    def __init__(self, in_dim, out_dim, kind):
        super().__init__()
        self.out_dim = out_dim
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
        self.scatter_backend = check_value(config, "darec_scatter_backend", str, None,
                                           choices={"auto", "torch", "torch_scatter"})
        heads = {side: check_value(config, f"darec_{side}_head", str, None, choices={"linear", "mlp"})
                 for side in ("cf", "llm")}
        self.seed = config["seed"]
        self.cf_heads = DisentangledHeads(cf_dim, cf_dim, heads["cf"])
        self.llm_heads = DisentangledHeads(llm_dim, cf_dim, heads["llm"])
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        width = 2 * cf_dim if self.matching == "joint" else cf_dim
        for side in ("user", "item"):
            # joint: [K, 2d] centers of concatenated shared parts; hungarian: per-side [K, d] and a matching.
            self.register_buffer(f"{side}_centers_cf", torch.zeros(self.n_clusters, width))
            self.register_buffer(f"{side}_centers_llm", torch.zeros(self.n_clusters, width))
            self.register_buffer(f"{side}_match", torch.arange(self.n_clusters))

    def _generator(self, salt):
        """A random stream per step and purpose, independent of torch's global one (resume-safe)."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + int(self.step) * 7 + salt)

    def _sample(self, n, limit, salt):
        if n <= limit:
            return None
        return torch.randperm(n, generator=self._generator(salt))[:limit]

    @staticmethod
    def _joint(cf_sh, llm_sh):
        return torch.cat([F.normalize(cf_sh, dim=1), F.normalize(llm_sh, dim=1)], dim=1)

    @torch.no_grad()
    def _refit_centers(self, side, cf_all, llm_all):
        """K-means on a bounded node sample of the shared parts of one side (users or items)."""
        index = self._sample(len(cf_all) - 1, self.cluster_sample, salt=11)
        index = (torch.arange(len(cf_all) - 1) if index is None else index) + 1  # skip RecBole's [PAD] row 0
        index = index.to(cf_all.device)
        cf_sh, _ = self.cf_heads(cf_all[index])
        llm_sh, _ = self.llm_heads(llm_all[index])
        rng = np.random.default_rng(self.seed + int(self.step))

        def fit(x):
            centers, _ = kmeans2(x.detach().cpu().double().numpy(), self.n_clusters, minit="++", seed=rng)
            return torch.as_tensor(centers, dtype=torch.float32, device=cf_all.device)

        if self.matching == "joint":
            centers = fit(self._joint(cf_sh, llm_sh))
            getattr(self, f"{side}_centers_cf").copy_(centers)
            getattr(self, f"{side}_centers_llm").copy_(centers)
            return
        cf_centers = fit(F.normalize(cf_sh, dim=1))
        llm_centers = fit(F.normalize(llm_sh, dim=1))
        similarity = (F.normalize(cf_centers, dim=1) @ F.normalize(llm_centers, dim=1).T).cpu().numpy()
        _, match = linear_sum_assignment(-similarity)
        getattr(self, f"{side}_centers_cf").copy_(cf_centers)
        getattr(self, f"{side}_centers_llm").copy_(llm_centers)
        getattr(self, f"{side}_match").copy_(torch.as_tensor(match))

    def _assign(self, x, centers):
        return torch.cdist(x.detach(), centers).argmin(dim=1)

    def local_loss(self, side, cf_sh, llm_sh):
        """L_loc for one side's batch rows, from the stored centers' assignments."""
        if self.matching == "joint":
            cluster = self._assign(self._joint(cf_sh, llm_sh), getattr(self, f"{side}_centers_cf"))
            cf_cluster, llm_cluster = cluster, cluster
        else:
            cf_cluster = self._assign(F.normalize(cf_sh, dim=1), getattr(self, f"{side}_centers_cf"))
            # relabel LLM clusters with the CF cluster they are matched to
            inverse = torch.argsort(getattr(self, f"{side}_match"))
            llm_cluster = inverse[self._assign(F.normalize(llm_sh, dim=1), getattr(self, f"{side}_centers_llm"))]
        cf_centers, cf_counts = cluster_means(cf_sh, cf_cluster, self.n_clusters, self.scatter_backend)
        llm_centers, llm_counts = cluster_means(llm_sh, llm_cluster, self.n_clusters, self.scatter_backend)
        present = (cf_counts > 0) & (llm_counts > 0)
        if present.sum() < 2:
            return cf_sh.new_zeros(())
        return center_alignment(cf_centers[present], llm_centers[present], self.center_loss, self.temperature)

    def _rows(self, side, rows):
        """At most ``darec_row_sample`` of the batch's unique rows, drawn from a per-step stream."""
        sample = self._sample(len(rows), self.row_sample, salt=3 if side == "user" else 5)
        return rows if sample is None else rows[sample.to(rows.device)]

    def side_terms(self, side, cf_sh, cf_sp, llm_sh, llm_sp):
        """The pairwise terms, within users or within items."""
        terms = {}
        if self.weights["uni"]:
            terms["uni"] = uniformity(cf_sp) + uniformity(llm_sp)
        if self.weights["glo"]:
            terms["glo"] = similarity_structure(cf_sh, llm_sh)
        if self.weights["loc"]:
            terms["loc"] = self.local_loss(side, cf_sh, llm_sh)
        return terms

    def loss(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not any(self.weights.values()):
            return {}
        if self.weights["loc"] and int(self.step) % self.interval == 0:
            self._refit_centers("user", user_all, user_profile)
            self._refit_centers("item", item_all, item_profile)
        users = self._rows("user", torch.unique(users))
        items = self._rows("item", torch.unique(torch.cat([pos_items, neg_items])))
        self.step += 1
        # One pass of each side's heads over the sampled users and items together.
        cf_sh, cf_sp = self.cf_heads(torch.cat([user_all[users], item_all[items]]))
        llm_sh, llm_sp = self.llm_heads(torch.cat([user_profile[users], item_profile[items]]))
        terms = {}
        if self.weights["or"]:  # row-wise, so users and items are taken together
            terms["or"] = orthogonality(cf_sp, cf_sh) + orthogonality(llm_sp, llm_sh)
        split = [len(users), len(items)]
        parts = [x.split(split) for x in (cf_sh, cf_sp, llm_sh, llm_sp)]
        user_terms = self.side_terms("user", *(p[0] for p in parts))
        item_terms = self.side_terms("item", *(p[1] for p in parts))
        terms.update({name: user_terms[name] + item_terms[name] for name in user_terms})
        return {f"darec_{name}": self.weights[name] * value for name, value in terms.items()}


class DaRec(ProfileAligned):
    """Mixin: ``class DaRecLightGCN(DaRec, LightGCN)``. Defaults in properties/model/DaRec.yaml."""

    alignment_class = DaRecAlignment
