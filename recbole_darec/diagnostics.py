"""Diagnostics of representations and of metrics by user group: what a researcher needs to see why.

Representation measures (torch only, used by DaRec's training log and by scripts):
``mean_pairwise_cosine`` and ``effective_rank`` detect a collapse; ``linear_cka`` (Kornblith et
al., 2019) and ``knn_overlap`` say how alike two representations of the same rows are.
Metrics by group: ``user_activity_groups`` splits the evaluated users into quartiles of their
training interactions and averages RecBole's own per-user metric values in each;
``item_history_groups`` scores the test interactions on warm items (with a training interaction)
and on cold items (none) apart, with RecBole's own metric formulas.
"""

import numpy as np
import torch
import torch.nn.functional as F


def mean_pairwise_cosine(x):
    """Mean cosine similarity over distinct pairs of rows: near 1 when the rows have collapsed to one direction."""
    unit = F.normalize(x, dim=1)
    n = len(unit)
    total = unit.sum(dim=0).pow(2).sum() - n  # sum over i != j of u_i . u_j
    return float(total / (n * (n - 1)))


def effective_rank(x):
    """exp of the entropy of the normalised singular values (Roy & Vetterli, 2007), uncentred: 1 when every
    row points the same way (a collapse), up to d."""
    singular = torch.linalg.svdvals(x)
    p = singular / singular.sum().clamp(min=1e-12)
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def linear_cka(x, y):
    """Linear centred kernel alignment of two representations of the same rows, in [0, 1]."""
    x, y = x - x.mean(dim=0), y - y.mean(dim=0)
    cross = (y.T @ x).pow(2).sum()
    return float(cross / ((x.T @ x).norm() * (y.T @ y).norm()).clamp(min=1e-12))


def knn_overlap(x, y, k=20, chunk=4096):
    """Mean share of each row's ``k`` nearest neighbours (cosine) that the two representations have in common.

    Rows are taken ``chunk`` at a time, so memory is ``chunk x n`` similarities, not ``n x n`` (all items of
    a large catalogue: 50,000 rows would need 10 GB at once)."""
    n, k = len(x), min(k, len(x) - 1)
    units = F.normalize(x, dim=1), F.normalize(y, dim=1)
    common = 0
    for start in range(0, n, chunk):
        rows = torch.arange(start, min(start + chunk, n), device=x.device)
        a, b = (
            (unit[rows] @ unit.T)
            .index_put_((torch.arange(len(rows)), rows), torch.tensor(-float("inf")))
            .topk(k)
            .indices
            for unit in units
        )
        common += int((a.unsqueeze(2) == b.unsqueeze(1)).any(dim=2).sum())
    return common / (n * k)


def alignment_report(cf, profile, shared=None, specific=None):
    """Collapse and alignment figures for one side: ``cf`` embeddings and ``profile`` vectors of the same rows,
    optionally the (CF, LLM) pairs of shared and of specific parts. Returns a flat dict of floats."""
    report = {"cf_profile_cka": linear_cka(cf, profile), "cf_profile_knn20": knn_overlap(cf, profile)}
    for name, parts in (("shared", shared), ("specific", specific)):
        if parts is None:
            continue
        for side, part in zip(("cf", "llm"), parts):
            report[f"{name}_{side}_mean_cos"] = mean_pairwise_cosine(part)
            report[f"{name}_{side}_erank"] = effective_rank(part)
        report[f"{name}_cka"] = linear_cka(*parts)
    return report


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
                values = metric.metric_info(pos_index, pos_len)
                for k in topk:
                    entry[f"{name}@{k}"] = round(float(values[:, k - 1].mean()), 4)
        groups.append(entry)
    return groups


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
    per_user = {name: metric.metric_info(pos_index, pos_len) for name, metric in metric_classes.items()}
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
