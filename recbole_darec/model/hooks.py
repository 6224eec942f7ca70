"""The contract between a graph backbone and a plug-in alignment, in one place.

A backbone's ``calculate_loss`` builds the initial embeddings of its main (clean) view with
:meth:`AlignmentHooks.main_view_ego`, propagates them, computes its own terms, and returns
:meth:`AlignmentHooks.loss_terms` of them. An alignment overrides two methods and nothing
else: ``extra_loss_terms`` (its weighted terms on the main view) and, to rewrite the main
view's initial embeddings (RLMRec-Gen's masking), ``main_view_ego``. Inference is the
backbone's own, so ``full_sort_predict`` costs what the backbone's does.

Every batch returns the same tuple (a term that is inactive on a batch is a zero tensor), so
RecBole's trainer can add the terms up batch by batch.
"""

import torch


def drop_edges(adj, keep_rate):
    """Keep each entry of a coalesced sparse adjacency with probability ``keep_rate``, rescaled by 1/keep
    (RLMRec's edge dropout of the normalised graph)."""
    keep = torch.rand(adj._nnz(), device=adj.device) < keep_rate
    # a subset of a coalesced tensor's entries is itself valid and coalesced
    return torch.sparse_coo_tensor(
        adj.indices()[:, keep], adj.values()[keep] / keep_rate, adj.shape, check_invariants=False, is_coalesced=True
    )


class AlignmentHooks:
    """Mixin of every backbone of this package (listed first in its bases).

    ``loss_reduction``: ``mean`` if the backbone's loss is a batch mean, ``sum`` if it is summed
    over the batch. Alignment terms are batch means whose weights are meant relative to a
    mean-reduced loss (RLMRec's and DaRec's setting); next to a summed loss they are multiplied
    by the batch size, so one weight means the same on every backbone (unscaled, a weight of
    0.01 on RecBole's SGL was ~1/4096 as strong as on LightGCN at batch 4096 and changed nothing).
    """

    loss_reduction = "mean"

    def main_view_ego(self):
        """Initial embeddings ``[n_users + n_items, d]`` of this training step's main view."""
        return self.get_ego_embeddings()

    def extra_loss_terms(self, interaction, user_all, item_all):
        """Weighted extra terms ``{name: batch-mean tensor}`` on the main view's outputs; none by default."""
        return {}

    def loss_terms(self, interaction, user_all, item_all, *backbone_terms):
        """What ``calculate_loss`` returns: the backbone's terms, then the extra terms at the backbone's reduction."""
        extra = self.extra_loss_terms(interaction, user_all, item_all)
        scale = len(interaction) if self.loss_reduction == "sum" else 1
        return (*backbone_terms, *(scale * term for term in extra.values()))
