"""LightGCN: RecBole's model plus the two options in which RLMRec's LightGCN differs from it.

``layer_combination``: ``mean`` of the layer outputs (RecBole, the LightGCN paper) or their
``sum`` (RLMRec's code). ``edge_keep_rate``: below 1, each training propagation keeps every
normalised edge with that probability and rescales it by 1/keep (RLMRec's edge dropout;
0.8 in its configs). The defaults reproduce RecBole's LightGCN exactly.
"""

import torch
from recbole.model.general_recommender import LightGCN as RecBoleLightGCN

from recbole_darec.config import ConfigError, check_value


class LightGCN(RecBoleLightGCN):
    loss_reduction = "mean"  # BPR and L2 are batch means (RecBole's LightGCN); see model/aligned.py

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.layer_combination = check_value(config, "layer_combination", str, None, choices={"mean", "sum"})
        self.edge_keep_rate = check_value(config, "edge_keep_rate", float, 0.0, inclusive=False)
        if self.edge_keep_rate > 1:
            raise ConfigError(f"edge_keep_rate = {self.edge_keep_rate} must be in (0, 1].")
        self.norm_adj_matrix = self.norm_adj_matrix.coalesce()

    def training_graph(self):
        """The adjacency for this propagation: edge-dropped while training when edge_keep_rate < 1."""
        adj = self.norm_adj_matrix
        if not self.training or self.edge_keep_rate >= 1:
            return adj
        keep = torch.rand(adj._nnz(), device=adj.device) < self.edge_keep_rate
        # a subset of a coalesced tensor's entries is itself valid and coalesced
        return torch.sparse_coo_tensor(adj.indices()[:, keep], adj.values()[keep] / self.edge_keep_rate, adj.shape,
                                       check_invariants=False, is_coalesced=True)

    def forward(self):
        adj = self.training_graph()
        layers = [self.get_ego_embeddings()]
        for _ in range(self.n_layers):
            layers.append(torch.sparse.mm(adj, layers[-1]))
        stacked = torch.stack(layers, dim=1)
        final = stacked.sum(dim=1) if self.layer_combination == "sum" else stacked.mean(dim=1)
        return torch.split(final, [self.n_users, self.n_items])
