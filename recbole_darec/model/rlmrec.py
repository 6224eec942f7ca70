"""RLMRec's two alignments (Ren et al., WWW 2024) as plug-ins, following its published losses.

* Contrastive (RLMRec-Con): a projector maps each profile vector to the CF space; InfoNCE
  (cosine, ``rlmrec_temperature``) between each CF embedding and its projected profile, times
  ``rlmrec_con_weight``. ``rlmrec_con_rows`` picks the rows and their negatives:
  ``unique`` (default) takes the batch's distinct users against each other's profiles and its
  distinct positive and negative items, pooled, against each other's; ``rlmrec`` is RLMRec's
  code: every batch row, users against *all* users' projected profiles, positive and negative
  items each against their own batch rows. The default avoids RLMRec's false negatives (a user
  or item drawn twice in a batch is its own negative there) and is cheaper: it projects only
  the batch's distinct profiles, where RLMRec projects every user's profile at every step
  (5.7x the epoch time on Last.fm, with no measured gain: docs/results/rlmrec_forms_lastfm.md).
* Generative (RLMRec-Gen): a fraction ``rlmrec_mask_ratio`` of all nodes get a learnable mask
  token instead of their initial embedding for the main propagation (the BPR view too, as in
  RLMRec); an MLP maps the masked nodes' outputs back to profile space, InfoNCE against their
  profile vectors among the masked nodes (at most ``rlmrec_max_masked`` of them, so the cost
  stays bounded); times ``rlmrec_gen_weight``. ``rlmrec_mask_token_init``: ``zero`` (default,
  RLMRec's code; also ahead on Last.fm validation, docs/results/rlmrec_forms_lastfm.md) or
  ``xavier`` (initialised as the embedding tables are).
"""

import torch
from torch import nn

from recbole_darec.checks import ConfigError, check_value, check_weight
from recbole_darec.model.aligned import AlignedModel, ProfileAlignment
from recbole_darec.model.layers import distinct, projector
from recbole_darec.model.losses import info_nce


class RLMRecConAlignment(ProfileAlignment):
    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        self.weight = check_weight(config, "rlmrec_con_weight")
        self.temperature = check_value(config, "rlmrec_temperature", float, 0.0, inclusive=False)
        self.rows = check_value(config, "rlmrec_con_rows", str, None, choices={"unique", "rlmrec"})
        self.projector = projector(llm_dim, cf_dim)

    def extra_loss_terms(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not self.weight:
            return {}
        t = self.temperature
        if self.rows == "rlmrec":
            total = (
                info_nce(user_all[users], self.projector(user_profile), t, positives=users)
                + info_nce(item_all[pos_items], self.projector(item_profile[pos_items]), t)
                + info_nce(item_all[neg_items], self.projector(item_profile[neg_items]), t)
            )
        else:
            users = distinct(users, len(user_all))
            items = distinct(torch.cat([pos_items, neg_items]), len(item_all))
            total = info_nce(user_all[users], self.projector(user_profile[users]), t) + info_nce(
                item_all[items], self.projector(item_profile[items]), t
            )
        return {"rlmrec_con": self.weight * total}


class RLMRecGenAlignment(ProfileAlignment):
    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        self.weight = check_weight(config, "rlmrec_gen_weight")
        self.temperature = check_value(config, "rlmrec_temperature", float, 0.0, inclusive=False)
        self.mask_ratio = check_value(config, "rlmrec_mask_ratio", float, 0.0, inclusive=False)
        if self.mask_ratio >= 1:
            raise ConfigError(f"rlmrec_mask_ratio = {self.mask_ratio} must be below 1.")
        self.max_masked = check_value(config, "rlmrec_max_masked", int, 2)
        token_init = check_value(config, "rlmrec_mask_token_init", str, None, choices={"xavier", "zero"})
        self.mask_token = nn.Parameter(torch.zeros(1, cf_dim))
        if token_init == "xavier":
            nn.init.xavier_uniform_(self.mask_token)
        self.decoder = projector(cf_dim, llm_dim)
        self._masked = None

    def main_view_ego(self, ego):
        """Mask this step's nodes; ``loss`` of the same step reconstructs their profiles."""
        if not self.weight:
            return ego
        n = len(ego)
        count = min(max(2, int(n * self.mask_ratio)), self.max_masked)
        self._masked = torch.randperm(n, device=ego.device)[:count]
        ego = ego.clone()
        ego[self._masked] = self.mask_token
        return ego

    def extra_loss_terms(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not self.weight:
            return {}
        masked, self._masked = self._masked, None
        outputs = torch.cat([user_all, item_all])[masked]
        profiles = torch.cat([user_profile, item_profile])[masked]
        return {"rlmrec_gen": self.weight * info_nce(self.decoder(outputs), profiles, self.temperature)}


class RLMRecCon(AlignedModel):
    """Mixin: ``class RLMRecConLightGCN(RLMRecCon, LightGCN)``. Defaults in properties/model/RLMRecCon.yaml."""

    alignment_class = RLMRecConAlignment


class RLMRecGen(AlignedModel):
    """Mixin: ``class RLMRecGenLightGCN(RLMRecGen, LightGCN)``. Defaults in properties/model/RLMRecGen.yaml."""

    alignment_class = RLMRecGenAlignment
