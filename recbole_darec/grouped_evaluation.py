"""Test metrics by group, with RecBole's own metric classes: what a researcher needs to see where a method gains.

``user_activity_groups`` splits the evaluated users into quartiles of their training interactions and averages
RecBole's own per-user metric values in each; ``item_history_groups`` scores the test interactions on warm items
(with a training interaction) and on cold items (none) apart, with RecBole's own metric formulas;
:func:`evaluate_by_group` runs one RecBole evaluation and reports both beside the overall result.
"""

import inspect

import numpy as np


def group_columns(groups):
    """Flat CSV columns of ``{"users": user_activity_groups(...), "items": item_history_groups(...)}``:
    ``group<n>_<key>`` per user-activity quartile, ``warm_items_<key>`` and ``cold_items_<key>``."""
    columns = {
        f"group{number}_{k}": v
        for number, group in enumerate(groups.get("users", []), start=1)
        for k, v in group.items()
    }
    for group in groups.get("items", []):
        prefix = group["group"].replace(" ", "_")
        columns.update({f"{prefix}_{k}": v for k, v in group.items() if k != "group"})
    return columns


def item_history_groups(rec_items, users, test_users, test_items, train_item_counts, metric_classes, topk):
    """Test metrics on warm items (a training interaction) and cold items (none), each group scored as if its
    interactions were a user's only relevant items, over the full ranking every model makes (so a cold item
    competes with every other item) and averaged over the users with at least one of them.

    ``rec_items``: RecBole's collected top-k item ids ([evaluated users, max k]); ``users``: the internal ids of
    its rows; ``test_users`` / ``test_items``: the test interactions; ``train_item_counts``: training
    interactions per internal item id. Returns ``[{"group", "users", "test_interactions", "<metric>@<k>"}]`` for
    ``warm items`` then ``cold items``; a group without interactions has its counts at 0 and no metrics. An
    ID-only model has learned nothing about a cold item (only negative samples ever touched its embedding), so
    near-zero cold-item metrics say the model cannot rank them, not that they were hidden.
    """
    rec_items, users = np.asarray(rec_items), np.asarray(users)
    n_items = len(train_item_counts)
    row_of = np.full(int(max(users.max(), np.max(test_users))) + 1, -1)
    row_of[users] = np.arange(len(users))
    rows = row_of[np.asarray(test_users)]
    if (rows < 0).any():
        raise ValueError("test interactions of users that were not evaluated")
    cold = np.asarray(train_item_counts)[np.asarray(test_items)] == 0
    groups = []
    for label, in_group in (("warm items", ~cold), ("cold items", cold)):
        entry = {"group": label, "users": 0, "test_interactions": int(in_group.sum())}
        if in_group.any():
            group_rows, group_items = rows[in_group], np.asarray(test_items)[in_group]
            scored = np.unique(group_rows)
            pos_len = np.bincount(group_rows, minlength=len(users))[scored]
            codes = group_rows.astype(np.int64) * n_items + group_items
            top = scored[:, None].astype(np.int64) * n_items + rec_items[scored]
            pos_index = np.isin(top, codes)
            entry["users"] = int(len(scored))
            for name, metric in metric_classes.items():
                values = per_user_values(metric, pos_index, pos_len)
                for k in topk:
                    entry[f"{name}@{k}"] = round(float(values[:, k - 1].mean()), 4)
        groups.append(entry)
    return groups


def per_user_values(metric, pos_index, pos_len):
    """A RecBole top-k metric's ``[users, max k]`` values: Recall, NDCG and MAP read the positives' count, Hit,
    MRR and Precision read only the hits (their ``metric_info`` takes one argument)."""
    if len(inspect.signature(metric.metric_info).parameters) == 1:
        return metric.metric_info(pos_index)
    return metric.metric_info(pos_index, pos_len)


def user_activity_groups(rec_topk, users, train_counts, metric_classes, topk, n_groups=4):
    """Metrics by quartile of the users' training interactions.

    ``rec_topk``: RecBole's collected ``rec.topk`` ([evaluated users, max k + 1], last column the number of
    positives); ``users``: the internal ids of its rows; ``train_counts``: training interactions per internal
    user id; ``metric_classes``: ``{name: RecBole TopkMetric instance}``. Returns a list of
    ``{"group", "users", "test_interactions", "<metric>@<k>": value}``, from the least to the most active.
    """
    counts = np.asarray(train_counts)[np.asarray(users)]
    edges = np.unique(np.quantile(counts, np.linspace(0, 1, n_groups + 1)))
    bins = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, len(edges) - 2)
    pos_index, pos_len = rec_topk[:, :-1].bool().numpy(), rec_topk[:, -1].numpy()
    per_user = {name: per_user_values(metric, pos_index, pos_len) for name, metric in metric_classes.items()}
    groups = []
    for g in range(len(edges) - 1):
        rows = bins == g
        if not rows.any():
            continue
        low, high = int(counts[rows].min()), int(counts[rows].max())
        entry = {
            "group": f"Q{g + 1} ({low}-{high} training interactions)",
            "users": int(rows.sum()),
            "test_interactions": int(pos_len[rows].sum()),
        }
        for name, values in per_user.items():
            for k in topk:
                entry[f"{name}@{k}"] = round(float(values[rows, k - 1].mean()), 4)
        groups.append(entry)
    return groups


class _CapturingEvaluator:
    """Stands in for RecBole's evaluator for one evaluation, keeping the collected data it scores."""

    def __init__(self, evaluator):
        self.evaluator, self.struct = evaluator, None

    def evaluate(self, struct):
        self.struct = struct
        return self.evaluator.evaluate(struct)


def evaluate_by_group(trainer, eval_data, train_dataset, load_best_model=True, show_progress=False):
    """RecBole's full-sort evaluation, plus its metrics by quartile of the users' training interactions and
    for warm and cold items apart (:mod:`recbole_darec.diagnostics`).

    Returns ``(result, groups)`` with ``groups = {"users": [...], "items": [...]}``; both lists are empty where
    RecBole collected no per-user top-k (a non-full-sort evaluation) or the evaluation was distributed.
    """
    from recbole.evaluator.register import metrics_dict

    capture = _CapturingEvaluator(trainer.evaluator)
    trainer.evaluator = capture
    register = trainer.eval_collector.register
    setattr(register, "rec.items", True)  # the top-k item ids too, for the warm / cold item groups
    try:
        result = trainer.evaluate(eval_data, load_best_model=load_best_model, show_progress=show_progress)
    finally:
        trainer.evaluator = capture.evaluator
        delattr(register, "rec.items")
    struct = capture.struct
    users = getattr(eval_data, "uid_list", None)
    if struct is None or "rec.topk" not in struct or not trainer.config["single_spec"] or users is None:
        return result, {"users": [], "items": []}
    metrics = {
        m.lower(): metrics_dict[m.lower()](trainer.config)
        for m in trainer.config["metrics"]
        if hasattr(metrics_dict[m.lower()], "metric_info")
    }
    topk = trainer.config["topk"]
    uid, iid = train_dataset.uid_field, train_dataset.iid_field
    user_counts = np.bincount(train_dataset.inter_feat[uid].numpy(), minlength=train_dataset.user_num)
    item_counts = np.bincount(train_dataset.inter_feat[iid].numpy(), minlength=train_dataset.item_num)
    test = eval_data._dataset.inter_feat
    users = np.asarray(users)
    return result, {
        "users": user_activity_groups(struct.get("rec.topk"), users, user_counts, metrics, topk),
        "items": item_history_groups(
            struct.get("rec.items").numpy(), users, test[uid].numpy(), test[iid].numpy(), item_counts, metrics, topk
        ),
    }
