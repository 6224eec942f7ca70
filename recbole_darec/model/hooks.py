"""The contract between a graph backbone and a plug-in alignment, in one place.

A backbone's ``calculate_loss`` builds the initial embeddings of its main (clean) view with
:meth:`AlignmentHooks.main_view_ego`, propagates them, ranks with :meth:`AlignmentHooks.scoring_view`
of the result (its BPR term and inference alike), computes its own terms, and returns
:meth:`AlignmentHooks.loss_terms` of them. An alignment overrides ``extra_loss_terms`` (its weighted
terms on the main view) and, where it needs to, ``main_view_ego`` (RLMRec-Gen's masking) and
``scoring_view`` (DaRec's inference rule). By default the scoring view is the propagated embeddings
themselves, so ``full_sort_predict`` costs what the backbone's does.

``profile_init`` (every model here: ``projection``, or LLMInit's ``random_dims``, ``spaced_dims``,
``top_variance_dims``) starts the ID embedding tables from the profile vectors (:func:`profile_initialisation`)
instead of a random draw.

Every batch returns the same tuple (a term that is inactive on a batch is a zero tensor), so
RecBole's trainer can add the terms up batch by batch.
"""

from recbole_darec.checks import check_value
from recbole_darec.model.layers import PROFILE_INIT_CHOICES, profile_initialisation


class AlignmentHooks:
    """Mixin of every backbone of this package (listed first in its bases).

    ``loss_reduction``: ``mean`` if the backbone's loss is a batch mean, ``sum`` if it is summed
    over the batch. Alignment terms are batch means whose weights are meant relative to a
    mean-reduced loss (RLMRec's and DaRec's setting); next to a summed loss they are multiplied
    by the batch size, so one weight means the same on every backbone (unscaled, a weight of
    0.01 on RecBole's SGL was ~1/4096 as strong as on LightGCN at batch 4096 and changed nothing).
    """

    loss_reduction = "mean"

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        how = check_value(config, "profile_init", str, None, choices=PROFILE_INIT_CHOICES)
        if how != "none":
            profile_initialisation(self.user_embedding, self.item_embedding, dataset, how)

    def main_view_ego(self):
        """Initial embeddings ``[n_users + n_items, d]`` of this training step's main view."""
        return self.get_ego_embeddings()

    def extra_loss_terms(self, interaction, user_all, item_all):
        """Weighted extra terms ``{name: batch-mean tensor}`` on the main view's outputs; none by default."""
        return {}

    def scoring_view(self, user_all, item_all):
        """The representations whose dot products rank items, from the propagated embeddings (default: those)."""
        return user_all, item_all

    def inference_view(self):
        """The propagated embeddings of the whole graph at inference (each backbone's own)."""
        return self.forward()

    def predict(self, interaction):
        user_e, item_e = self._restored()
        return (user_e[interaction[self.USER_ID]] * item_e[interaction[self.ITEM_ID]]).sum(dim=1)

    def full_sort_predict(self, interaction):
        user_e, item_e = self._restored()
        return (user_e[interaction[self.USER_ID]] @ item_e.T).view(-1)

    def _restored(self):
        """The scoring view of the whole graph, computed once per evaluation (RecBole's restore_*_e cache)."""
        if self.restore_user_e is None or self.restore_item_e is None:
            self.restore_user_e, self.restore_item_e = self.scoring_view(*self.inference_view())
        return self.restore_user_e, self.restore_item_e

    def loss_terms(self, interaction, user_all, item_all, *backbone_terms, names=()):
        """What ``calculate_loss`` returns: the backbone's terms, then the extra terms at the backbone's reduction.
        ``names`` of the backbone's terms and the extra terms' keys become ``loss_names``, the training log's."""
        extra = self.extra_loss_terms(interaction, user_all, item_all)
        self.loss_names = (*names, *extra)
        scale = len(interaction) if self.loss_reduction == "sum" else 1
        return (*backbone_terms, *(scale * term for term in extra.values()))
