"""L3AE (Moon, Park and Lee, "LLM-Enhanced Linear Autoencoders for Recommendation", CIKM 2025): EASE pulled toward
an item-item prior fitted to the items' language vectors.

Written from the paper's abstract and our issue's description of it (its code was not copied). Two closed forms, in
float64:

1. ``C``: EASE's closed form on the item profile vectors alone, as if each of the ``d`` vector dimensions
   were a "user" who "rated" every item by its value there: Gram ``F F^T`` (items x items), regulariser
   ``l3ae_text_reg`` (the paper's lambda_F), zero diagonal;
2. ``B`` = argmin ``||X - X B||^2 + reg_weight ||B||^2 + l3ae_prior_weight ||B - C||^2`` subject to
   ``diag(B) = 0``, ``X`` the training interactions: with ``P = (X^T X + (reg_weight + l3ae_prior_weight) I)^-1``
   and ``B~ = I - (reg_weight + l3ae_prior_weight) P + l3ae_prior_weight P C``,
   ``B = B~ - P diag(diag(B~) / diag(P))``. With ``l3ae_prior_weight = 0`` this is EASE (Steck 2019) with
   ``reg_weight``, which RecBole's EASE calls the same. Keeping EASE's own ``||B||^2`` term beside the pull toward
``C`` is our reading (configurable: ``reg_weight`` may be small), so that the prior's weight 0 is exactly EASE.

``l3ae_audience_weight`` > 0 (ours; 0, the paper's form, by default): each item's vector is extended by the
l2-normalised sum of the profile vectors of the users who interacted with it in training, times this weight,
before ``C`` is fitted: an item is also described by what its audience's profiles say, which helps where the
item texts are thin (DBbook's items are titles). Training interactions only, so no held-out item enters.

Scores are a user's training row times ``B``. Departure: the paper's LLM item embeddings are this package's
profile vectors (a sentence encoder over LLM-written item texts or titles), read through the dataset's checked
loader, so corruption, fingerprints and the leakage audit apply as to every profile-reading model. Fitted,
not trained: deterministic, no seed changes it.
"""

import numpy as np
import torch
from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType, ModelType

from recbole_darec.checks import check_value
from recbole_darec.model.dense import check_dense_memory


def ease_weights(gram, reg, prior=None, prior_weight=0.0):
    """argmin ``||X - X B||^2 + reg ||B||^2 + prior_weight ||B - prior||^2`` with a zero diagonal, for
    ``gram = X^T X`` (a dense float64 array, overwritten). ``prior_weight = 0``: EASE."""
    n = gram.shape[0]
    gram[np.diag_indices(n)] += reg + prior_weight
    inverse = np.linalg.inv(gram)
    del gram
    weights = -(reg + prior_weight) * inverse
    weights[np.diag_indices(n)] += 1.0
    if prior_weight:
        weights += prior_weight * (inverse @ prior)
    weights -= inverse * (np.diag(weights) / np.diag(inverse))
    weights[np.diag_indices(n)] = 0.0  # exact zeros (the subtraction leaves rounding residue)
    return weights


def audience_vectors(interactions, user_vectors):
    """Each item's l2-normalised sum of the profile vectors of its training users (zero for an item nobody has)."""
    summed = interactions.T @ user_vectors
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    return summed / np.where(norms > 0, norms, 1.0)


class L3AE(GeneralRecommender):
    input_type = InputType.POINTWISE
    type = ModelType.TRADITIONAL
    reads_profiles = True  # recbole_darec.config attaches the profile vectors to the dataset

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        reg = check_value(config, "reg_weight", float, 0.0, inclusive=False)
        text_reg = check_value(config, "l3ae_text_reg", float, 0.0, inclusive=False)
        prior_weight = check_value(config, "l3ae_prior_weight", float, 0.0)
        audience = check_value(config, "l3ae_audience_weight", float, 0.0)
        need = check_dense_memory("L3AE", self.n_items, config)
        self.logger.info(f"L3AE: fitting two {self.n_items:,} x {self.n_items:,} closed forms (peak ~{need:.2f} GB)")
        self.dummy_param = torch.nn.Parameter(torch.zeros(1))  # RecBole's trainer needs one parameter
        vectors = dataset.profile_matrix("item", dtype=torch.float64).numpy()
        interactions = dataset.inter_matrix(form="csr").astype(np.float64)
        if audience:
            users = dataset.profile_matrix("user", dtype=torch.float64).numpy()
            vectors = np.hstack([vectors, audience * audience_vectors(interactions, users)])
        self.prior = ease_weights(vectors @ vectors.T, text_reg)
        self.interactions = interactions
        self.item_weights = ease_weights((interactions.T @ interactions).toarray(), reg, self.prior, prior_weight)

    def calculate_loss(self, interaction):
        return torch.nn.Parameter(torch.zeros(1))

    def predict(self, interaction):
        users = interaction[self.USER_ID].cpu().numpy()
        items = interaction[self.ITEM_ID].cpu().numpy()
        rows = self.interactions[users]
        scores = np.asarray(rows.multiply(self.item_weights[:, items].T).sum(axis=1)).ravel()
        return torch.from_numpy(scores).float().to(self.device)

    def full_sort_predict(self, interaction):
        users = interaction[self.USER_ID].cpu().numpy()
        scores = self.interactions[users] @ self.item_weights
        return torch.from_numpy(np.asarray(scores)).float().reshape(-1).to(self.device)
