"""SGL (Wu et al., SIGIR 2021): RecBole's implementation, with its ego embeddings behind a hook.

RecBole's ``SGL.forward`` concatenates the embedding tables inline; reading them through
``get_ego_embeddings()`` (as LightGCN does) lets the plug-in alignments see and, for
RLMRec-Gen, mask them. Numerically identical to ``recbole.model.general_recommender.SGL``.
"""

import torch
from recbole.model.general_recommender import SGL as RecBoleSGL


class SGL(RecBoleSGL):
    loss_reduction = "sum"  # RecBole's SGL sums BPR, L2 and its SSL term over the batch; see model/aligned.py

    def get_ego_embeddings(self):
        return torch.cat([self.user_embedding.weight, self.item_embedding.weight])

    def forward(self, graph):
        layers = [self.get_ego_embeddings()]
        # RecBole's SGL: a list holds one (random-walk) graph per layer, a tensor is reused for every layer.
        graphs = graph if isinstance(graph, list) else [graph] * self.n_layers
        for layer_graph in graphs:
            layers.append(torch.sparse.mm(layer_graph, layers[-1]))
        final = torch.stack(layers, dim=1).mean(dim=1)
        return torch.split(final, [self.n_users, self.n_items], dim=0)
