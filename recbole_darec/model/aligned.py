"""The plug-in mechanism: one base that adds an LLM-profile alignment to any backbone of this package.

``class DaRecLightGCN(DaRec, LightGCN)``: the mixin overrides the three hooks of
:class:`recbole_darec.model.hooks.AlignmentHooks` (``main_view_ego``, ``scoring_view``, ``extra_loss_terms``),
handing each to the method of the same name of its :class:`ProfileAlignment`, and leaves training, inference
and the loss reduction to the backbone.
"""

import torch
from torch import nn

from recbole_darec.checks import ConfigError


class ProfileAlignment(nn.Module):
    """Interface of an alignment: the three hooks of :class:`~recbole_darec.model.hooks.AlignmentHooks` under
    their names, given the profile vectors too. Subclasses define ``extra_loss_terms`` and may override the
    other two."""

    def main_view_ego(self, ego):
        return ego

    def scoring_view(self, user_all, item_all, user_profile, item_profile):
        """The representations that rank items (default: the backbone's propagated embeddings)."""
        return user_all, item_all

    def extra_loss_terms(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        """Weighted terms ``{name: tensor}``: the same names on every batch (a zero tensor where a batch
        cannot form a term); a term whose weight is 0 is left out."""
        raise NotImplementedError


class AlignedModel:
    """Mixin placed before the backbone: ``class DaRecLightGCN(DaRec, LightGCN)``."""

    alignment_class = None
    reads_profiles = True  # recbole_darec.config attaches the profile vectors to the dataset

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        user_profile = dataset.profile_matrix("user")
        item_profile = dataset.profile_matrix("item")
        if user_profile.shape[1] != item_profile.shape[1]:
            raise ConfigError(
                f"user profile vectors have {user_profile.shape[1]} dimensions and item vectors "
                f"{item_profile.shape[1]}; encode both with the same encoder."
            )
        # Not saved in checkpoints: they are data, rebuilt from the embedding files.
        self.register_buffer("user_profile", user_profile.to(self.device), persistent=False)
        self.register_buffer("item_profile", item_profile.to(self.device), persistent=False)
        # Heads get their own random stream, so the backbone's initialisation and training draws are unchanged.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config["seed"] + 1)
            self.alignment = self.alignment_class(
                config,
                cf_dim=config["embedding_size"],
                llm_dim=user_profile.shape[1],
                n_users=self.n_users,
                n_items=self.n_items,
            )

    def main_view_ego(self):
        return self.alignment.main_view_ego(super().main_view_ego())

    def scoring_view(self, user_all, item_all):
        return self.alignment.scoring_view(user_all, item_all, self.user_profile, self.item_profile)

    def extra_loss_terms(self, interaction, user_all, item_all):
        return self.alignment.extra_loss_terms(
            interaction[self.USER_ID],
            interaction[self.ITEM_ID],
            interaction[self.NEG_ITEM_ID],
            user_all,
            item_all,
            self.user_profile,
            self.item_profile,
        )
