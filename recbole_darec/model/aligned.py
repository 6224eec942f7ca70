"""The plug-in mechanism: one base that adds an LLM-profile alignment to any graph backbone.

A backbone qualifies when it (1) builds its node embeddings from ``get_ego_embeddings()``,
(2) computes ``(user_all, item_all) = forward(...)`` inside ``calculate_loss`` and calls it
first for its main (clean) view, (3) scores from the same embeddings at inference, and (4)
declares ``loss_reduction``: ``mean`` if its loss is a batch mean, ``sum`` if summed over the
batch. Alignment terms are batch means whose weights are meant relative to a mean-reduced
backbone loss (RLMRec's and DaRec's setting); next to a summed loss they are multiplied by the
batch size, so one weight means the same on every backbone (RecBole's SGL sums: unscaled, a
weight of 0.01 was ~1/4096 as strong there as on LightGCN at batch 4096 and changed nothing).
Our LightGCN, SGL and SimGCL qualify. The alignment sees the main view of every
training step without a second propagation, may rewrite the ego embeddings of that
view (RLMRec-Gen's masking), and adds its weighted terms to the backbone's full loss.
Inference is the backbone's own, so ``full_sort_predict`` costs what the backbone's does.
"""

import torch
from torch import nn

from recbole_darec.config import ConfigError


class ProfileAlignment(nn.Module):
    """Interface of an alignment: subclasses define ``loss`` and may rewrite ego embeddings."""

    def transform_ego(self, ego):
        return ego

    def loss(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        """Weighted extra terms ``{name: tensor}``; terms whose weight is 0 are left out."""
        raise NotImplementedError


def weight(config, key):
    """A non-negative loss weight from the config, with a clear error otherwise."""
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"config key '{key}' = {value!r} must be a number >= 0 (0 switches the term off).")
    return float(value)


class ProfileAligned:
    """Mixin placed before the backbone: ``class DaRecLightGCN(DaRec, LightGCN)``."""

    alignment_class = None

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        user_profile = dataset.profile_matrix("user")
        item_profile = dataset.profile_matrix("item")
        if user_profile.shape[1] != item_profile.shape[1]:
            raise ConfigError(f"user profile vectors have {user_profile.shape[1]} dimensions and item vectors "
                              f"{item_profile.shape[1]}; encode both with the same encoder.")
        # Not saved in checkpoints: they are data, rebuilt from the embedding files.
        self.register_buffer("user_profile", user_profile.to(self.device), persistent=False)
        self.register_buffer("item_profile", item_profile.to(self.device), persistent=False)
        # Heads get their own random stream, so the backbone's initialisation and training draws are unchanged.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config["seed"] + 1)
            self.alignment = self.alignment_class(config, cf_dim=config["embedding_size"],
                                                  llm_dim=user_profile.shape[1], n_users=self.n_users,
                                                  n_items=self.n_items)
        self._main_view = None

    def get_ego_embeddings(self):
        ego = super().get_ego_embeddings()
        if self.training and self._main_view is None:
            ego = self.alignment.transform_ego(ego)
        return ego

    def forward(self, *args, **kwargs):
        output = super().forward(*args, **kwargs)
        if self.training and self._main_view is None:
            self._main_view = output
        return output

    def calculate_loss(self, interaction):
        self._main_view = None
        backbone = super().calculate_loss(interaction)
        user_all, item_all = self._main_view
        self._main_view = None
        terms = self.alignment.loss(interaction[self.USER_ID], interaction[self.ITEM_ID],
                                    interaction[self.NEG_ITEM_ID], user_all, item_all,
                                    self.user_profile, self.item_profile)
        if not terms:
            return backbone
        scale = len(interaction) if self.loss_reduction == "sum" else 1
        return (*(backbone if isinstance(backbone, tuple) else (backbone,)), *(scale * t for t in terms.values()))


def projector(in_dim, out_dim):
    """RLMRec's projector: in -> (in+out)/2 -> LeakyReLU -> out, Xavier-initialised."""
    hidden = (in_dim + out_dim) // 2
    layers = nn.Sequential(nn.Linear(in_dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, out_dim))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return layers
