"""RLMRec's two alignments (Ren et al., WWW 2024) as plug-ins, following its published losses.

* Contrastive (RLMRec-Con): a projector maps each profile vector to the CF space;
  InfoNCE (cosine, ``rlmrec_temperature``) between each CF embedding and its projected
  profile, users against the batch's other users and items (positive and negative)
  against the batch's other items; times ``rlmrec_con_weight``. Deviation: we use the
  batch's *unique* users and items, where RLMRec uses every row (a user drawn twice is
  then its own false negative); on Last.fm with batch 4096 this is ~4x cheaper.
* Generative (RLMRec-Gen): a fraction ``rlmrec_mask_ratio`` of all nodes get a
  learnable mask token instead of their initial embedding for the main propagation
  (the BPR view too, as in RLMRec); an MLP maps the masked nodes' outputs back to
  profile space, InfoNCE against their profile vectors among the masked nodes (at most
  ``rlmrec_max_masked`` of them, so the cost stays bounded); times ``rlmrec_gen_weight``.
"""

import torch
from torch import nn

from recbole_darec.config import ConfigError, check_value
from recbole_darec.model.aligned import ProfileAligned, ProfileAlignment, projector, weight
from recbole_darec.model.losses import info_nce


class RLMRecConAlignment(ProfileAlignment):
    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        self.weight = weight(config, "rlmrec_con_weight")
        self.temperature = check_value(config, "rlmrec_temperature", float, 0.0, inclusive=False)
        self.projector = projector(llm_dim, cf_dim)

    def loss(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not self.weight:
            return {}
        users = torch.unique(users)
        items = torch.unique(torch.cat([pos_items, neg_items]))
        total = (info_nce(user_all[users], self.projector(user_profile[users]), self.temperature)
                 + info_nce(item_all[items], self.projector(item_profile[items]), self.temperature))
        return {"rlmrec_con": self.weight * total}


class RLMRecGenAlignment(ProfileAlignment):
    def __init__(self, config, cf_dim, llm_dim, n_users, n_items):
        super().__init__()
        self.weight = weight(config, "rlmrec_gen_weight")
        self.temperature = check_value(config, "rlmrec_temperature", float, 0.0, inclusive=False)
        self.mask_ratio = check_value(config, "rlmrec_mask_ratio", float, 0.0, inclusive=False)
        if self.mask_ratio >= 1:
            raise ConfigError(f"rlmrec_mask_ratio = {self.mask_ratio} must be below 1.")
        self.max_masked = check_value(config, "rlmrec_max_masked", int, 2)
        self.mask_token = nn.Parameter(torch.zeros(1, cf_dim))
        nn.init.xavier_uniform_(self.mask_token)
        self.decoder = projector(cf_dim, llm_dim)
        self._masked = None

    def transform_ego(self, ego):
        if not self.weight:
            return ego
        n = len(ego)
        count = min(max(2, int(n * self.mask_ratio)), self.max_masked)
        self._masked = torch.randperm(n, device=ego.device)[:count]
        ego = ego.clone()
        ego[self._masked] = self.mask_token
        return ego

    def loss(self, users, pos_items, neg_items, user_all, item_all, user_profile, item_profile):
        if not self.weight:
            return {}
        masked, self._masked = self._masked, None
        outputs = torch.cat([user_all, item_all])[masked]
        profiles = torch.cat([user_profile, item_profile])[masked]
        return {"rlmrec_gen": self.weight * info_nce(self.decoder(outputs), profiles, self.temperature)}


class RLMRecCon(ProfileAligned):
    """Mixin: ``class RLMRecConLightGCN(RLMRecCon, LightGCN)``."""

    alignment_class = RLMRecConAlignment


class RLMRecGen(ProfileAligned):
    """Mixin: ``class RLMRecGenLightGCN(RLMRecGen, LightGCN)``."""

    alignment_class = RLMRecGenAlignment
