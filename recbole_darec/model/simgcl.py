"""SimGCL (Yu et al., SIGIR 2022) as a RecBole model: LightGCN with noise-perturbed contrastive views.

Each propagation layer of a perturbed view adds ``sign(e) * normalize(uniform noise) * eps``;
the final embedding is the mean of layers 1..L (the ego layer is left out, as in the
paper). BPR, L2 and prediction use the clean view; InfoNCE (temperature ``cl_temperature``)
between two perturbed views of the batch's unique users and positive items is added
with weight ``cl_weight``.
"""

import torch
import torch.nn.functional as F

from recbole_darec.config import check_value
from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.losses import info_nce


class SimGCL(LightGCN):
    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.eps = check_value(config, "eps", float, 0.0)
        self.cl_weight = check_value(config, "cl_weight", float, 0.0)
        self.cl_temperature = check_value(config, "cl_temperature", float, 0.0, inclusive=False)

    def forward(self, perturbed=False):
        adj = self.training_graph()
        embeddings = self.get_ego_embeddings()
        layers = []
        for _ in range(self.n_layers):
            embeddings = torch.sparse.mm(adj, embeddings)
            if perturbed:
                noise = F.normalize(torch.rand_like(embeddings), dim=-1)
                embeddings = embeddings + torch.sign(embeddings) * noise * self.eps
            layers.append(embeddings)
        final = torch.stack(layers, dim=1).mean(dim=1)
        return torch.split(final, [self.n_users, self.n_items])

    def calculate_loss(self, interaction):
        loss = super().calculate_loss(interaction)  # BPR + L2 on the clean view
        if not self.cl_weight:
            return loss
        users = torch.unique(interaction[self.USER_ID])
        items = torch.unique(interaction[self.ITEM_ID])
        user_1, item_1 = self.forward(perturbed=True)
        user_2, item_2 = self.forward(perturbed=True)
        cl_loss = info_nce(user_1[users], user_2[users], self.cl_temperature) + info_nce(
            item_1[items], item_2[items], self.cl_temperature)
        return loss + self.cl_weight * cl_loss
