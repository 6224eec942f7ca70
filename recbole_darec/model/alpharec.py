"""AlphaRec (Sheng et al., ICLR 2025, "Language Representations Can be What Recommenders Need"): no ID embeddings.

Every item is an MLP of its language representation; every user the same MLP of the mean of its training
items' representations (``alpharec_user_input: items``, AlphaRec's) or of its own profile vector
(``profile``); LightGCN propagation of those over the training graph; cosine scores; an InfoNCE loss
with temperature ``alpharec_temperature`` of each positive against ``alpharec_negatives`` items drawn
uniformly. It stands for the finding that mapped language representations alone can beat ID-based
collaborative filtering: profiles as *input*, where RLMRec and DaRec use them as a regulariser.

Written from the paper's description (its public code was read, not copied). Departures:

* the language representations are this package's profile vectors (a sentence encoder over LLM-written
  profiles or titles, 384-d by default), not a 7-8B LLM's embeddings of item titles;
* the MLP is RLMRec's projector shape, ``Linear -> LeakyReLU -> Linear`` to ``embedding_size``, with
  ``alpharec_hidden_size`` hidden units;
* propagation, layer count and layer combination are this package's LightGCN options (layers 0..L averaged
  by default), trained with RecBole's trainer, batches and early stopping;
* negatives are drawn uniformly from all items (they may include a user's own positives, as in uniform
  sampling generally); no weight decay beyond RecBole's ``weight_decay``.
"""

import torch
import torch.nn.functional as F

from recbole_darec.checks import ConfigError, check_value
from recbole_darec.model.layers import projector
from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.sampled_scores import sampled_scores, sort_within_rows


class AlphaRec(LightGCN):
    reads_profiles = True  # recbole_darec.config attaches the profile vectors to the dataset

    def __init__(self, config, dataset):
        if config["profile_init"] != "none":
            raise ConfigError("AlphaRec has no ID embeddings to initialise: leave profile_init at none.")
        super().__init__(config, dataset)
        del self.user_embedding, self.item_embedding  # the MLP of the language representations replaces them
        self.temperature = check_value(config, "alpharec_temperature", float, 0.0, inclusive=False)
        self.n_negatives = check_value(config, "alpharec_negatives", int, 1)
        user_input = check_value(config, "alpharec_user_input", str, None, choices={"items", "profile"})
        hidden = check_value(config, "alpharec_hidden_size", int, 1)
        item_vectors = dataset.profile_matrix("item")
        if user_input == "items":  # the mean of each user's training items' vectors (row 0, [PAD], stays zero)
            history = dataset.inter_matrix(form="csr").astype("float32")
            counts = torch.as_tensor(history.sum(axis=1)).clamp(min=1)
            user_vectors = torch.as_tensor((history @ item_vectors.numpy())) / counts
        else:
            user_vectors = dataset.profile_matrix("user")
        # data, rebuilt from the profile files: not saved in checkpoints
        self.register_buffer("user_language", user_vectors.float().to(self.device), persistent=False)
        self.register_buffer("item_language", item_vectors.float().to(self.device), persistent=False)
        self.mlp = projector(item_vectors.shape[1], self.latent_dim, hidden)

    def get_ego_embeddings(self):
        return self.mlp(torch.cat([self.user_language, self.item_language]))

    def scoring_view(self, user_all, item_all):
        return F.normalize(user_all, dim=1), F.normalize(item_all, dim=1)

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None
        user_all, item_all = self.scoring_view(*self.forward(self.main_view_ego()))
        users, positives = interaction[self.USER_ID], interaction[self.ITEM_ID]
        negatives = torch.randint(1, self.n_items, (len(users), self.n_negatives), device=users.device)
        batch_users = user_all[users]
        positive = (batch_users * item_all[positives]).sum(dim=-1, keepdim=True)
        # sorted within each row (the loss does not depend on the negatives' order) for the sparse pattern
        negative = sampled_scores(batch_users, item_all, sort_within_rows(negatives, self.n_items))
        logits = torch.cat([positive, negative], dim=1) / self.temperature
        infonce = F.cross_entropy(logits, torch.zeros(len(users), dtype=torch.long, device=users.device))
        return self.loss_terms(interaction, user_all, item_all, infonce, names=("infonce",))
