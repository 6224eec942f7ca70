"""Full-sort evaluation in batches of users sized from a memory budget.

RecBole's full-sort loader takes ``eval_batch_size // items`` users a batch (at least one): its default 4,096 means
two users a batch on a 2,000-item catalogue and one on ML-1M (slow: one small matrix product and one top-k per
user), while a large value on a large catalogue asks for more memory than there is (RecBole #1676, #1866).
``eval_memory_mb`` states the memory instead: each batch holds as many users as fit ``BYTES_PER_SCORE`` bytes
per (user, item) pair in it; ``~`` keeps RecBole's rule on ``eval_batch_size``. The scores, and so every metric,
are the same at any batch size (each user's row is ranked alone).

A model without its own ``full_sort_predict`` (RecBole's ConvNCF, NeuMF, NNCF) is scored by RecBole's trainer one
chunk of ``eval_batch_size`` (user, item) pairs at a time through ``predict``, whose memory a pair is the model's
own (ConvNCF's convolutions: about 150 KB, so a 256 MB score budget became a 20 GB chunk on ml-100k): such a
model keeps RecBole's rule, and the log says so.
"""

from logging import getLogger

from recbole.model.abstract_recommender import AbstractRecommender

from recbole_darec.checks import check_value

# per (user, item) pair of a batch: the float32 scores, RecBole's int32 matrix of positives (eval_batch_collect),
# the product's float32 output before it is viewed as the scores, and what evaluation holds beside them: measured
# 16-20 bytes a pair (benchmarks/eval_memory.py, docs/results/cost.md: 6,040 x 3,261 and 20,000 x 30,001 items)
BYTES_PER_SCORE = 20


def scores_pairs(model_class):
    """Whether RecBole's trainer scores ``model_class`` pair by pair (it has no ``full_sort_predict`` of its own)."""
    return getattr(model_class, "full_sort_predict", None) is AbstractRecommender.full_sort_predict


def size_full_sort_batches(config, item_num, model_class):
    """Set ``config["eval_batch_size"]`` so that a full-sort batch holds the users that fit ``eval_memory_mb``
    (at least one); returns the users a batch, or ``None`` when nothing changed: ``eval_memory_mb`` is ``~``, or
    ``model_class`` scores pairs (module docstring)."""
    if config["eval_memory_mb"] is None:
        return None
    budget = check_value(config, "eval_memory_mb", float, 0.0, inclusive=False)
    if scores_pairs(model_class):
        getLogger().info(
            f"full-sort evaluation: {model_class.__name__} scores (user, item) pairs through predict, whose memory "
            f"a pair is its own, so eval_memory_mb does not size its batches: RecBole's eval_batch_size = "
            f"{config['eval_batch_size']} pairs a chunk applies"
        )
        return None
    users = max(int(budget * 2**20 // (BYTES_PER_SCORE * item_num)), 1)
    config["eval_batch_size"] = users * item_num
    getLogger().info(
        f"full-sort evaluation: {users} users a batch ({users * item_num * BYTES_PER_SCORE / 2**20:.0f} MB of "
        f"scores at most; eval_memory_mb = {budget:g}, eval_batch_size set to {users * item_num})"
    )
    return users
