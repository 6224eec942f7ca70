"""LightGCN: RecBole's model plus the options in which RLMRec's LightGCN differs from it.

``layer_combination``: ``mean`` of the layer outputs (RecBole, the LightGCN paper) or their
``sum`` (RLMRec's code); ``combine_ego_layer``: whether layer 0 (the initial embeddings) is one
of them (LightGCN: yes; SimGCL's paper: no). ``edge_keep_rate``: below 1, each training step
keeps every normalised edge with that probability and rescales it by 1/keep (RLMRec's edge
dropout; 0.8 in its configs). ``l2_scope``: ``batch`` (RecBole: the norms of the batch's initial
embeddings, divided by the batch size) or ``all`` (RLMRec: squared norms of every parameter).
The defaults reproduce RecBole's LightGCN exactly.
"""

import torch
from recbole.model.general_recommender import LightGCN as RecBoleLightGCN

from recbole_darec.checks import ConfigError, check_value
from recbole_darec.model.graph import normalized_adjacency, propagate
from recbole_darec.model.hooks import AlignmentHooks
from recbole_darec.model.layers import combine_layers


class LightGCN(AlignmentHooks, RecBoleLightGCN):
    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.layer_combination = check_value(config, "layer_combination", str, None, choices={"mean", "sum"})
        self.combine_ego_layer = check_value(config, "combine_ego_layer", bool, None, choices={True, False})
        self.edge_keep_rate = check_value(config, "edge_keep_rate", float, 0.0, inclusive=False)
        if self.edge_keep_rate > 1:
            raise ConfigError(f"edge_keep_rate = {self.edge_keep_rate} must be in (0, 1].")
        self.l2_scope = check_value(config, "l2_scope", str, None, choices={"batch", "all"})

    def get_norm_adj_mat(self):
        """RecBole's normalised adjacency, as an :class:`~recbole_darec.model.graph.Adjacency` (fast products)."""
        inter = self.interaction_matrix
        return normalized_adjacency(self.n_users, self.n_items, inter.row, inter.col, self.device)

    def training_graph(self):
        """The adjacency for this step: edge-dropped while training when edge_keep_rate < 1."""
        if not self.training or self.edge_keep_rate >= 1:
            return self.norm_adj_matrix
        return self.norm_adj_matrix.drop_edges(self.edge_keep_rate)

    def forward(self, ego=None, adj=None, perturb=None):
        """``(user_all, item_all)``: ``ego`` (default: the embedding tables) propagated over ``adj``
        (default: this step's training graph), ``perturb`` applied to each layer's output."""
        adj = self.training_graph() if adj is None else adj
        embeddings = self.get_ego_embeddings() if ego is None else ego
        layers = [embeddings] if self.combine_ego_layer else []
        for _ in range(self.n_layers):
            embeddings = propagate(adj, embeddings)
            if perturb is not None:
                embeddings = perturb(embeddings)
            layers.append(embeddings)
        final = combine_layers(layers, self.layer_combination)
        return torch.split(final, [self.n_users, self.n_items])

    def bpr_and_l2(self, interaction, user_all, item_all):
        """BPR on the main view's scoring view plus ``reg_weight`` times the L2 term of ``l2_scope`` (RecBole's
        LightGCN loss)."""
        user, pos_item, neg_item = interaction[self.USER_ID], interaction[self.ITEM_ID], interaction[self.NEG_ITEM_ID]
        user_all, item_all = self.scoring_view(user_all, item_all)
        u_embeddings = user_all[user]
        pos_scores = torch.mul(u_embeddings, item_all[pos_item]).sum(dim=1)
        neg_scores = torch.mul(u_embeddings, item_all[neg_item]).sum(dim=1)
        mf_loss = self.mf_loss(pos_scores, neg_scores)
        if self.l2_scope == "all":
            reg_loss = sum(parameter.pow(2).sum() for parameter in self.parameters())
        else:
            reg_loss = self.reg_loss(
                self.user_embedding(user),
                self.item_embedding(pos_item),
                self.item_embedding(neg_item),
                require_pow=self.require_pow,
            )
        return mf_loss + self.reg_weight * reg_loss

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None  # cached inference embeddings are stale once training
        user_all, item_all = self.forward(self.main_view_ego())
        terms = self.bpr_and_l2(interaction, user_all, item_all)
        return self.loss_terms(interaction, user_all, item_all, terms, names=("bpr+l2",))
