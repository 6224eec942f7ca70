"""SGL (Wu et al., SIGIR 2021): RecBole's implementation, with the options in which RLMRec's SGL differs.

Defaults reproduce ``recbole.model.general_recommender.SGL`` exactly. Options:

* ``layer_combination``: ``mean`` of layers 0..L (RecBole) or their ``sum`` (RLMRec);
* ``ssl_views``: ``subgraph_per_epoch`` (RecBole: two edge-dropped, re-normalised subgraphs drawn
  at the start of every epoch, ``type``/``drop_ratio``) or ``edge_dropout_per_step`` (RLMRec: at
  every step each view keeps each edge of the normalised graph with probability 1 - ``drop_ratio``,
  rescaled by 1/keep);
* ``ssl_items``: the items contrasted, ``positive`` (RecBole) or ``positive_negative`` (RLMRec also
  contrasts the batch's negative items).

RecBole's SGL *sums* BPR, L2 and the SSL term over the batch (``loss_reduction = "sum"``), so
its ``ssl_weight`` is RLMRec's mean-reduced ``cl_weight`` with the same meaning; L2 is on the
batch's initial embeddings (RLMRec regularises all parameters). ``properties/protocol/rlmrec_sgl.yaml``
sets RLMRec's forms and its Amazon-book values.
"""

import torch
from recbole.model.general_recommender import SGL as RecBoleSGL

from recbole_darec.checks import check_value
from recbole_darec.model.graph import Adjacency, propagate
from recbole_darec.model.hooks import AlignmentHooks
from recbole_darec.model.layers import combine_layers
from recbole_darec.model.losses import info_nce


class SGL(AlignmentHooks, RecBoleSGL):
    loss_reduction = "sum"

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.layer_combination = check_value(config, "layer_combination", str, None, choices={"mean", "sum"})
        self.ssl_views = check_value(
            config, "ssl_views", str, None, choices={"subgraph_per_epoch", "edge_dropout_per_step"}
        )
        self.ssl_items = check_value(config, "ssl_items", str, None, choices={"positive", "positive_negative"})

    def csr2tensor(self, matrix):
        """Every graph RecBole's SGL builds (training graph, per-epoch subgraphs) as an :class:`Adjacency`."""
        return Adjacency.from_scipy(matrix, self.device)

    def get_ego_embeddings(self):
        return torch.cat([self.user_embedding.weight, self.item_embedding.weight])

    def train(self, mode=True):
        if self.ssl_views == "edge_dropout_per_step":  # no per-epoch subgraphs to build
            return super(RecBoleSGL, self).train(mode)
        return super().train(mode)

    def forward(self, graph, ego=None):
        layers = [self.get_ego_embeddings() if ego is None else ego]
        # RecBole's SGL: a list holds one (random-walk) graph per layer, a tensor is reused for every layer.
        graphs = graph if isinstance(graph, list) else [graph] * self.n_layers
        for layer_graph in graphs:
            layers.append(propagate(layer_graph, layers[-1]))
        final = combine_layers(layers, self.layer_combination)
        return torch.split(final, [self.n_users, self.n_items], dim=0)

    def inference_view(self):
        return self.forward(self.train_graph)

    def ssl_graphs(self):
        if self.ssl_views == "edge_dropout_per_step":
            keep = 1 - self.drop_ratio
            return self.train_graph.drop_edges(keep), self.train_graph.drop_edges(keep)
        return self.sub_graph1, self.sub_graph2

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None
        users, pos_items = interaction[self.USER_ID], interaction[self.ITEM_ID]
        neg_items = interaction[self.NEG_ITEM_ID]
        user_all, item_all = self.forward(self.train_graph, self.main_view_ego())
        graph_1, graph_2 = self.ssl_graphs()
        user_sub1, item_sub1 = self.forward(graph_1)
        user_sub2, item_sub2 = self.forward(graph_2)
        bpr = self.calc_bpr_loss(*self.scoring_view(user_all, item_all), users, pos_items, neg_items)
        ssl = self.calc_ssl_loss(users, pos_items, user_sub1, user_sub2, item_sub1, item_sub2)
        terms, names = [bpr, ssl], ["bpr+l2", "ssl"]
        if self.ssl_items == "positive_negative":
            # the item term of RecBole's calc_ssl_loss on the negative items: InfoNCE against all items, summed
            infonce = info_nce(item_sub1[neg_items], item_sub2, self.ssl_tau, positives=neg_items)
            terms.append(self.ssl_weight * len(neg_items) * infonce)
            names.append("ssl_negatives")
        return self.loss_terms(interaction, user_all, item_all, *terms, names=names)
