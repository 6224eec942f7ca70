"""DaRec: disentangled alignment of collaborative and LLM-profile representations.

Published (Yang et al., ICDE 2025): four projection heads split each side into a
*shared* and a *specific* part; L_or keeps each specific part orthogonal to its shared
part; L_uni keeps the specific parts spread out; only the shared parts are aligned,
globally through similarity structure (L_glo) and locally through preference centers
(L_loc). Objective: backbone loss + weighted terms. The paper does not publish its inference rule.

Our reconstruction (no code is public; each choice is configurable):
* heads: linear maps or RLMRec-projector-shaped MLPs (d_in -> (d_in+d)/2 -> LeakyReLU -> d),
  chosen per side (``darec_cf_head``, ``darec_llm_head``); d = the backbone's embedding size, or narrower
  (``darec_shared_dim``: a bottleneck through which a head keeps fewer directions; on the ground-truth
  simulator a 32-d LLM head kept the profiles' interaction-irrelevant part beside the shared one). The CF
  side may also be *anchored* (:class:`AnchoredHeads`: ``identity``, ``orthogonal``, ``split``), so
  that trainable CF heads cannot absorb the alignment in a subspace the scoring embeddings ignore;
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
  shared parts collapsing to one point meets them at zero loss; ``cka``: one minus the linear CKA of the
  two shared parts, which a collapse cannot meet either. ``darec_global_target: profile`` compares
  the CF shared part with the profile vectors themselves instead of the LLM head's output (mse, kl, cka);
* inference (``darec_score``, our reconstruction of what the paper leaves open): ``backbone`` ranks with the
  backbone's propagated CF embeddings (RLMRec's rule; the default until measured otherwise); ``disentangled``
  with the CF side's shared and specific parts concatenated (the representation the paper's theory is about:
  score = shared_u . shared_i + specific_u . specific_i); ``fused`` with the CF embedding concatenated with the
  LLM side's shared part of the profile vector, weighted by a learned gate g that starts at 0 (score =
  cf_u . cf_i + g * llm_shared_u . llm_shared_i): training starts from the backbone's ranking and moves the
  profile part in as far as BPR finds it useful (an ungated LLM part, whose scale is that of a fresh linear
  head on 384-d vectors, swamped the CF scores: 0.086 vs 0.211 test Recall@20 after 3 epochs on ml-100k), so a
  node's profile enters its score and an item nobody trained on still has a representation. The backbone's BPR
  term scores with the same rule, so the heads a rule ranks with are trained to rank (the DaRec terms too);
* L_loc: preference centers of the shared parts (:mod:`recbole_darec.model.preference_centers`):
  K-means on at most ``darec_cluster_sample`` nodes, refitted every ``darec_cluster_interval``
  steps; ``darec_center_matching`` (joint | hungarian), ``darec_center_loss`` (mse | infonce);
* L_rank (our addition, not in the paper; ``darec_rank_weight``, 0 = off = the paper's objective): BPR on the LLM
  side's shared parts alone, for the batch's users and positive and negative items. Why: on the ground-truth
  simulator (docs/results/simulator.md) the LLM "shared" head kept the profiles' interaction-irrelevant part,
  because nothing but the alignment terms trained it and, on sparse data, the CF side it aligns with holds none
  of the true factors either; the paper's theory assumes the heads find the shared part. L_rank lets the
  interactions decide what the LLM shared head keeps through its bottleneck (the backbone's embedding size), so
  the alignment pulls the CF side toward the part of the profiles that predicts interactions.

Every ``darec_diagnostics_interval`` steps (0: never) the training log shows whether the parts collapsed
and whether the alignment reached the CF embeddings that score (:meth:`DaRecAlignment.log_diagnostics`).
"""

from logging import getLogger

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from recbole_darec.checks import ConfigError, check_value, check_weight
from recbole_darec.model.aligned import AlignedModel, ProfileAlignment
from recbole_darec.model.layers import distinct
from recbole_darec.model.losses import (
    cka_alignment,
    cross_alignment,
    orthogonality,
    similarity_structure,
    uniformity,
)
from recbole_darec.model.measures import Reference, alignment_report
from recbole_darec.model.preference_centers import PreferenceCenters


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


class AnchoredHeads(nn.Module):
    """CF-side heads whose shared part cannot hide the alignment from the embeddings that score (our choice).

    ``identity``: the shared part *is* the CF embedding; ``orthogonal``: an orthogonal (norm-preserving)
    map of it; ``split``: its first half of coordinates (the specific part is the second half). With
    ``identity`` and ``orthogonal`` the specific part is a linear map kept apart from the shared one by L_or.
    """

    def __init__(self, dim, kind):
        super().__init__()
        self.kind = kind
        self.shared_dim = dim // 2 if kind == "split" else dim
        if kind == "orthogonal":
            self.rotation = nn.utils.parametrizations.orthogonal(nn.Linear(dim, dim, bias=False))
        if kind != "split":
            self.specific = nn.Linear(dim, dim)
            nn.init.xavier_uniform_(self.specific.weight)
            nn.init.zeros_(self.specific.bias)

    def forward(self, x):
        if self.kind == "split":
            return x[:, : self.shared_dim], x[:, self.shared_dim :]
        shared = self.rotation(x) if self.kind == "orthogonal" else x
        return shared, self.specific(x)


CF_HEADS = ("linear", "mlp", "identity", "orthogonal", "split")  # DisentangledHeads' kinds, then AnchoredHeads'
# The training log's neighbour overlap asks for the neighbours of this many of its (randomly drawn) sample nodes:
# the top-20 searches of all 2,048 were 0.13 s a log, 16% of 100 LightGCN steps on Last.fm.
DIAGNOSTIC_KNN_QUERIES = 512


class DaRecAlignment(ProfileAlignment):
    """DaRec's heads and its four weighted terms on a sample of each batch's users and items."""

    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        terms = ("or", "uni", "glo", "loc", "rank")
        self.weights = {name: check_weight(config, f"darec_{name}_weight") for name in terms}
        n_clusters = check_value(config, "darec_n_clusters", int, 2)
        largest_k = min(n_users, n_items) - 1
        if n_clusters > largest_k:
            raise ConfigError(
                f"darec_n_clusters = {n_clusters} exceeds the {largest_k} real users/items "
                f"of the smaller side; choose at most {largest_k}."
            )
        self.interval = check_value(config, "darec_cluster_interval", int, 1)
        self.cluster_sample = check_value(config, "darec_cluster_sample", int, n_clusters)
        self.row_sample = check_value(config, "darec_row_sample", int, 2)
        self.global_loss = check_value(config, "darec_global_loss", str, None, choices={"mse", "kl", "infonce", "cka"})
        self.global_target = check_value(config, "darec_global_target", str, None, choices={"head", "profile"})
        if self.global_target == "profile" and self.global_loss == "infonce":
            raise ConfigError(
                "darec_global_target = 'profile' compares similarity structures; use it with "
                "darec_global_loss mse, kl or cka (infonce pairs rows of the shared space)."
            )
        self.global_temperature = check_value(config, "darec_global_temperature", float, 0.0, inclusive=False)
        heads = {
            "cf": check_value(config, "darec_cf_head", str, None, choices=set(CF_HEADS)),
            "llm": check_value(config, "darec_llm_head", str, None, choices={"linear", "mlp"}),
        }
        self.seed = config["seed"]
        shared_dim = check_value(config, "darec_shared_dim", int, 0) or cf_dim
        if heads["cf"] in ("linear", "mlp"):
            self.cf_heads = DisentangledHeads(cf_dim, shared_dim, heads["cf"])
        elif shared_dim != cf_dim:
            raise ConfigError(
                f"darec_shared_dim = {shared_dim} needs trainable CF heads: darec_cf_head = '{heads['cf']}' fixes the "
                f"shared part's width; use darec_cf_head linear or mlp, or darec_shared_dim 0 (the embedding size)."
            )
        else:
            self.cf_heads = AnchoredHeads(cf_dim, heads["cf"])
            shared_dim = self.cf_heads.shared_dim
        self.llm_heads = DisentangledHeads(llm_dim, shared_dim, heads["llm"])
        self.centers = PreferenceCenters(
            n_clusters,
            shared_dim,
            matching=check_value(config, "darec_center_matching", str, None, choices={"joint", "hungarian"}),
            center_loss=check_value(config, "darec_center_loss", str, None, choices={"mse", "infonce"}),
            temperature=check_value(config, "darec_center_temperature", float, 0.0, inclusive=False),
            scatter_backend=check_value(
                config, "darec_scatter_backend", str, None, choices={"auto", "torch", "torch_scatter"}
            ),
        )
        self.score_rule = check_value(config, "darec_score", str, None, choices={"backbone", "disentangled", "fused"})
        if self.score_rule == "fused":
            self.fused_gate = nn.Parameter(torch.zeros(()))
        self.diagnostics_interval = check_value(config, "darec_diagnostics_interval", int, 0)
        self.diagnostics = {}  # the last figures of ``log_diagnostics``
        self._diagnostic_samples = {}  # side: (its nodes, their profile vectors' Reference), made at the first log
        # A host-side counter (a device tensor read every step would make every step wait for the GPU),
        # saved in checkpoints through nn.Module's extra state, so a resumed run draws the same samples.
        self.step = 0

    def get_extra_state(self):
        return {"step": self.step}

    def set_extra_state(self, state):
        self.step = int(state["step"])

    def scoring_view(self, user_all, item_all, user_profile, item_profile):
        """The representations ``darec_score`` ranks with (see the module docstring)."""
        if self.score_rule == "disentangled":
            return tuple(torch.cat(self.cf_heads(side), dim=1) for side in (user_all, item_all))
        if self.score_rule == "fused":
            user_llm, item_llm = self.llm_heads(user_profile)[0], self.llm_heads(item_profile)[0]
            return torch.cat([user_all, self.fused_gate * user_llm], dim=1), torch.cat([item_all, item_llm], dim=1)
        return user_all, item_all

    def _generator(self, salt):
        """A random stream per step and purpose, independent of torch's global one (resume-safe)."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + self.step * 7 + salt)

    @staticmethod
    def _sample(rows, size, generator):
        if len(rows) <= size:
            return rows
        return rows[torch.randperm(len(rows), generator=generator)[:size].to(rows.device)]

    def _node_sample(self, rows, generator):
        """At most ``darec_cluster_sample`` of a side's real nodes (row 0 is RecBole's [PAD])."""
        return self._sample(torch.arange(1, len(rows)), self.cluster_sample, generator).to(rows.device)

    @torch.no_grad()
    def _refit_centers(self, side, cf_all, llm_all):
        """Refit one side's centers (0: users, 1: items) on a bounded node sample of its shared parts."""
        nodes = self._node_sample(cf_all, self._generator(11 + side))  # drawn anew at every refit
        cf_unit = F.normalize(self.cf_heads(cf_all[nodes])[0], dim=1)
        llm_unit = F.normalize(self.llm_heads(llm_all[nodes])[0], dim=1)
        self.centers.refit(side, cf_unit, llm_unit, np.random.default_rng(self.seed + self.step))

    def _diagnostic_sample(self, side, rows, profiles):
        """The nodes of one side (0: users, 1: items) that the training log follows, drawn once per run (at most
        ``darec_cluster_sample``), so that its figures compare like with like from one log to the next, and their
        profile vectors prepared once as a :class:`Reference` (the profile side is most of the work)."""
        if side not in self._diagnostic_samples:
            nodes = self._node_sample(rows, torch.Generator().manual_seed(self.seed * 1_000_003 + 17 + side))
            self._diagnostic_samples[side] = nodes, Reference(profiles[nodes], queries=DIAGNOSTIC_KNN_QUERIES)
        return self._diagnostic_samples[side]

    @torch.no_grad()
    def log_diagnostics(self, user_all, item_all, user_profile, item_profile):
        """Collapse and alignment figures on a fixed node sample of each side (recbole_darec.diagnostics): mean
        pairwise cosine and effective rank of the shared and specific parts, CKA of the two sides' shared parts, and
        how close the CF embeddings that score come to the profile vectors (CKA, 20-nearest-neighbour overlap)."""
        figures = {}
        for side, (name, cf_all, llm_all) in enumerate(
            (("users", user_all, user_profile), ("items", item_all, item_profile))
        ):
            nodes, reference = self._diagnostic_sample(side, cf_all, llm_all)
            cf, llm = cf_all[nodes], llm_all[nodes]
            (cf_sh, cf_sp), (llm_sh, llm_sp) = self.cf_heads(cf), self.llm_heads(llm)
            report = alignment_report(cf, reference, shared=(cf_sh, llm_sh), specific=(cf_sp, llm_sp))
            figures.update({f"{name}_{k}": round(v, 4) for k, v in report.items()})
        self.diagnostics = figures
        getLogger().info(f"DaRec diagnostics at step {self.step}: {figures}")

    def extra_loss_terms(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        active = [name for name, w in self.weights.items() if w]
        if not active:
            return {}
        if self.diagnostics_interval and self.step % self.diagnostics_interval == 0:
            self.log_diagnostics(user_all, item_all, user_profile, item_profile)
        if self.weights["loc"] and self.step % self.interval == 0:
            self._refit_centers(0, user_all, user_profile)
            self._refit_centers(1, item_all, item_profile)
        terms = {}
        if self.weights["rank"]:  # on the whole batch, before the row sample below
            terms["rank"] = self._profile_ranking(users, pos_items, neg_items, user_profile, item_profile)
        # As many users as items, so both sides stack into one batched computation per term.
        users = distinct(users, len(user_all))
        items = distinct(torch.cat([pos_items, neg_items]), len(item_all))
        n = min(self.row_sample, len(users), len(items))
        generator = self._generator(3)
        users, items = self._sample(users, n, generator), self._sample(items, n, generator)
        self.step += 1
        if n < 2 or active == ["rank"]:  # a one-row batch has no pairs to compare: every pairwise term is zero
            terms.update({name: user_all.new_zeros(()) for name in active if name not in terms})
            return {f"darec_{name}": self.weights[name] * value for name, value in terms.items()}
        cf_sh, cf_sp = self.cf_heads(torch.cat([user_all[users], item_all[items]]))
        llm_sh, llm_sp = self.llm_heads(torch.cat([user_profile[users], item_profile[items]]))
        # Normalised once, [part (CF/LLM shared, CF/LLM specific), side (users/items), n, d].
        units = F.normalize(torch.stack([cf_sh, llm_sh, cf_sp, llm_sp]).view(4, 2, n, -1), dim=-1)
        grams = units @ units.transpose(-1, -2) if self.weights["uni"] or self.weights["glo"] else None
        if self.weights["or"]:
            terms["or"] = orthogonality(units[2:], units[:2]).sum()
        if self.weights["uni"]:
            terms["uni"] = uniformity(grams[2:]).sum()
        if self.weights["glo"]:
            terms["glo"] = self._global_term(units, grams, user_profile[users], item_profile[items])
        if self.weights["loc"]:
            terms["loc"] = self.centers.loss(units[0], units[1])
        return {f"darec_{name}": self.weights[name] * value for name, value in terms.items()}

    def _profile_ranking(self, users, pos_items, neg_items, user_profile, item_profile):
        """L_rank: BPR scored with the LLM shared parts of the batch's users and items (module docstring)."""
        user_shared = self.llm_heads(user_profile[users])[0]
        pos_shared, neg_shared = self.llm_heads(item_profile[torch.cat([pos_items, neg_items])])[0].chunk(2)
        margin = (user_shared * (pos_shared - neg_shared)).sum(dim=1)
        return -F.logsigmoid(margin).mean()

    def _global_term(self, units, grams, user_profiles, item_profiles):
        """L_glo between the CF shared part and the target structure: the LLM shared part (``head``) or the
        profile vectors themselves (``profile``, our choice: a structure no trainable head can bend)."""
        if self.global_loss == "infonce":
            return cross_alignment(units[0] @ units[1].transpose(-1, -2), self.global_temperature).sum()
        if self.global_target == "profile":
            target = F.normalize(torch.stack([user_profiles, item_profiles]), dim=-1)
        else:
            target = units[1]
        if self.global_loss == "cka":
            return cka_alignment(units[0], target).sum()
        target_gram = target @ target.transpose(-1, -2) if self.global_target == "profile" else grams[1]
        return similarity_structure(grams[0], target_gram, self.global_loss, self.global_temperature).sum()


class DaRec(AlignedModel):
    """Mixin: ``class DaRecLightGCN(DaRec, LightGCN)``. Defaults in properties/model/DaRec.yaml."""

    alignment_class = DaRecAlignment
