"""SimGCL (Yu et al., SIGIR 2022) as a RecBole model: LightGCN with noise-perturbed contrastive views.

Each propagation layer of a perturbed view adds ``sign(e) * normalize(uniform noise) * eps``.
BPR, L2 and prediction use the clean view; an InfoNCE (temperature ``cl_temperature``) between
two perturbed views is added with weight ``cl_weight``. All three views of a step share one
training graph (with ``edge_keep_rate`` < 1, one edge mask per step), so the views differ by
their noise only, as in SimGCL.

Where the reference implementations differ, options (defaults: SimGCL's paper and SELFRec code):

* layers: ``combine_ego_layer: False`` and ``layer_combination: mean`` (the paper: mean of layers
  1..L); RLMRec sums layers 0..L (``True``, ``sum``);
* ``cl_rows``: ``unique`` (the batch's distinct users and positive items, SELFRec) or ``batch``
  (every row, repeats included, RLMRec);
* ``cl_negatives``: ``batch`` (the other rows of that set, SELFRec) or ``all`` (every user or item of
  the second view, RLMRec and RecBole's SGL);
* reduction: the InfoNCE is a *mean* over rows (SELFRec; RLMRec divides its sum by the batch
  size). RecBole-GNN's SimGCL sums over rows, so its ``lambda`` is ours divided by the row count.

``properties/protocol/rlmrec_simgcl.yaml`` sets RLMRec's forms and its Amazon-book values.
"""

import torch
import torch.nn.functional as F

from recbole_darec.checks import check_value
from recbole_darec.model.layers import distinct
from recbole_darec.model.lightgcn import LightGCN
from recbole_darec.model.losses import info_nce


class SimGCL(LightGCN):
    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.eps = check_value(config, "eps", float, 0.0)
        self.cl_weight = check_value(config, "cl_weight", float, 0.0)
        self.cl_temperature = check_value(config, "cl_temperature", float, 0.0, inclusive=False)
        self.cl_rows = check_value(config, "cl_rows", str, None, choices={"unique", "batch"})
        self.cl_negatives = check_value(config, "cl_negatives", str, None, choices={"batch", "all"})

    def perturb(self, embeddings):
        noise = F.normalize(torch.rand_like(embeddings), dim=-1)
        return embeddings + torch.sign(embeddings) * noise * self.eps

    def contrastive_loss(self, interaction, adj):
        """InfoNCE between two perturbed views of the batch's users and of its positive items."""
        users, items = interaction[self.USER_ID], interaction[self.ITEM_ID]
        if self.cl_rows == "unique":
            users, items = distinct(users, self.n_users), distinct(items, self.n_items)
        user_1, item_1 = self.forward(adj=adj, perturb=self.perturb)
        user_2, item_2 = self.forward(adj=adj, perturb=self.perturb)
        if self.cl_negatives == "all":
            return info_nce(user_1[users], user_2, self.cl_temperature, positives=users) + info_nce(
                item_1[items], item_2, self.cl_temperature, positives=items
            )
        return info_nce(user_1[users], user_2[users], self.cl_temperature) + info_nce(
            item_1[items], item_2[items], self.cl_temperature
        )

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None
        adj = self.training_graph()
        user_all, item_all = self.forward(self.main_view_ego(), adj)
        terms, names = [self.bpr_and_l2(interaction, user_all, item_all)], ["bpr+l2"]
        if self.cl_weight:
            terms.append(self.cl_weight * self.contrastive_loss(interaction, adj))
            names.append("cl")
        return self.loss_terms(interaction, user_all, item_all, *terms, names=names)
