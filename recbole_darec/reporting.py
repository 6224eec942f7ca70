"""The reporting library of multi-seed comparisons: statistics, table cells, markdown tables and plots.

Per model and metric: mean and sample standard deviation over the seeds it finished; against the
baseline (first) model, on the seeds both finished only (their number is reported): the relative
gain of the mean and a two-sided paired t-test (scipy's ``ttest_rel``), pairing runs by seed. Where
no test is possible (fewer than two pairs, or every pair differing by the same amount, as metrics
rounded to 4 places easily do over 2-3 seeds) the table says so instead of printing a p-value.
Used by ``compare``, ``leaderboard``, ``benchmark``, ``evaluate`` and ``robustness_report``.
"""

import csv
import json
import math
import os
import shlex
import sys
from collections import namedtuple

import numpy as np
from scipy import stats


def read_rows(path):
    """The rows of a ``compare`` ``results.csv`` (seeds as int); none if the file does not exist yet."""
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["seed"] = int(row["seed"])
    return rows


def ordered_test_metrics(rows):
    """The ``test_*`` columns of ``rows``, by metric name and then cut-off (recall@5 before recall@10)."""
    return sorted(
        {k for r in rows for k in r if k.startswith("test_")},
        key=lambda k: (k.split("@")[0], int(k.split("@")[1]) if "@" in k else 0),
    )


def mean_std(values):
    """Mean and sample standard deviation; the deviation of a single value is NaN (one seed has no spread to
    show, and a ``± 0.0000`` beside it would claim one)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else math.nan


def mean_std_cell(mean, std, places=4):
    """A table cell ``mean ± std`` (``places`` decimals), the mean alone where there is no spread (one value), or a dash
    where there is no value."""
    if math.isnan(mean):
        return "–"
    return f"{mean:.{places}f}" if math.isnan(std) else f"{mean:.{places}f} ± {std:.{places}f}"


def relative_gain(value, baseline):
    return (value - baseline) / baseline if baseline else math.nan


Paired = namedtuple("Paired", "gain p n_pairs no_test")


def paired_comparison(model_by_seed, baseline_by_seed):
    """A :class:`Paired` over the seeds both have: the relative gain of the model's mean over the baseline's,
    the p-value of a two-sided paired t-test, the number of pairs, and why there is no test (NaN p) where
    there is none: fewer than two pairs, or identical differences (the t statistic is then undefined or
    infinite, not evidence)."""
    seeds = sorted(set(model_by_seed) & set(baseline_by_seed))
    a = np.array([model_by_seed[s] for s in seeds], dtype=float)
    b = np.array([baseline_by_seed[s] for s in seeds], dtype=float)
    gain = relative_gain(a.mean(), b.mean()) if seeds else math.nan
    if len(seeds) < 2:
        return Paired(gain, math.nan, len(seeds), f"{len(seeds)} pair{'s' if len(seeds) != 1 else ''}")
    if np.allclose(a - b, (a - b)[0], rtol=0, atol=1e-12):
        return Paired(gain, math.nan, len(seeds), "identical differences")
    return Paired(gain, float(stats.ttest_rel(a, b).pvalue), len(seeds), "")


def is_deterministic(row):
    """A run whose figures no seed changes: a fitted model on a fixed split (RecBole's traditional models, L3AE), not
    RecBole's Random, whose scores are drawn."""
    if "deterministic" in row:  # a results.csv column, written from the row's settings
        return row["deterministic"] in (True, "True")
    config = json.loads(row.get("run_config") or "{}")
    return config.get("MODEL_TYPE") == "TRADITIONAL" and config.get("model") != "Random"


def spread_comparison(model_by_seed, baseline_by_seed, model_fixed, baseline_fixed):
    """A :class:`Paired` where one side is deterministic: the gain of the means, and, in place of a paired test
    over identical numbers, where the deterministic figure falls in the seeded side's spread (in its sample std)."""
    a, b = np.array(list(model_by_seed.values())), np.array(list(baseline_by_seed.values()))
    gain = relative_gain(a.mean(), b.mean()) if len(a) and len(b) else math.nan
    if model_fixed and baseline_fixed:
        return Paired(gain, math.nan, 0, "both deterministic")
    fixed, seeded = (a, b) if model_fixed else (b, a)
    if len(seeded) < 2 or not len(fixed) or seeded.std(ddof=1) == 0:
        return Paired(gain, math.nan, 0, "deterministic vs fewer than 2 seeds")
    z = (fixed.mean() - seeded.mean()) / seeded.std(ddof=1)
    side = "model" if model_fixed else "baseline"
    return Paired(gain, math.nan, 0, f"deterministic {side}: {z:+.1f} std of the {len(seeded)} seeds")


def pick_main_metric(name, test_metrics, rows=()):
    """``test_<name>`` (``name`` lower-cased, with or without its ``test_`` prefix). Without a name, the
    runs' own ``valid_metric`` (the first of ``rows`` that records one), else Recall@20. A metric that was
    not measured is a :class:`ValueError` naming the measured ones (no silent fallback to another metric)."""
    if not name:
        name = next((r["valid_metric"] for r in rows if r.get("valid_metric")), "recall@20")
    name = name.lower()
    wanted = name if name.startswith("test_") else "test_" + name
    if test_metrics and wanted not in test_metrics:
        measured = ", ".join(m[len("test_") :] for m in test_metrics)
        raise ValueError(f"main metric '{name}' was not measured; choose one of: {measured}")
    return wanted


def echoed_command(tool, argv=None):
    """The command line that made a table, quoted so that it can be pasted back into a shell."""
    return f"python -m recbole_darec.{tool} " + shlex.join(sys.argv[1:] if argv is None else argv)


def summarize(rows, models, metrics):
    """``rows``: dicts with model, seed, status and metric columns. Returns per-model summaries (baseline first)."""
    ok = {m: {r["seed"]: r for r in rows if r["model"] == m and r["status"] == "ok"} for m in models}
    fixed = {m: bool(ok[m]) and all(is_deterministic(r) for r in ok[m].values()) for m in models}
    failed = {m: [r for r in rows if r["model"] == m and r["status"] != "ok"] for m in models}
    baseline = models[0]
    summary = []
    for model in models:
        entry = {"model": model, "runs": len(ok[model]), "failed": failed[model], "metrics": {}}
        for metric in metrics:
            values = {seed: float(r[metric]) for seed, r in ok[model].items() if r.get(metric) not in (None, "")}
            mean, std = mean_std(list(values.values()))
            base_values = {
                seed: float(r[metric]) for seed, r in ok[baseline].items() if r.get(metric) not in (None, "")
            }
            if model == baseline:
                paired = Paired(math.nan, math.nan, 0, "")
            elif fixed[model] or fixed[baseline]:
                paired = spread_comparison(values, base_values, fixed[model], fixed[baseline])
            else:
                paired = paired_comparison(values, base_values)
            entry["metrics"][metric] = {"mean": mean, "std": std, **paired._asdict()}
        summary.append(entry)
    return summary


def smaller_is_better(metric):
    """Whether a (``test_``/``valid_``-prefixed) metric is better when lower, by RecBole's own registry."""
    from recbole.evaluator.register import smaller_metrics

    name = metric.split("_", 1)[1] if metric.startswith(("test_", "valid_")) else metric
    return name.split("@")[0].lower() in smaller_metrics


def render_markdown(summary, metrics, main_metric, title):
    best = {}
    for m in metrics:
        means = [e["metrics"][m]["mean"] for e in summary if not math.isnan(e["metrics"][m]["mean"])]
        best[m] = (min if smaller_is_better(m) else max)(means, default=math.nan)
    lines = [f"## {title}", "", "| model | runs | " + " | ".join(metrics) + " |", "|---|---|" + "---|" * len(metrics)]
    for e in summary:
        cells = []
        for m in metrics:
            s = e["metrics"][m]
            text = mean_std_cell(s["mean"], s["std"])
            cells.append(f"**{text}**" if s["mean"] == best[m] else text)
        runs = f"{e['runs']}" + (f" ({len(e['failed'])} failed)" if e["failed"] else "")
        lines.append(f"| {e['model']} | {runs} | " + " | ".join(cells) + " |")
    baseline = summary[0]["model"]
    lines += [
        "",
        f"Mean ± sample std over seeds; best mean per column in bold. Relative to {baseline} "
        f"on {main_metric}, over the seeds both finished (pairs): gain of the mean, two-sided paired t-test:",
        "",
        "| model | gain | p-value | pairs |",
        "|---|---|---|---|",
    ]
    for e in summary[1:]:
        s = e["metrics"][main_metric]
        gain = "–" if math.isnan(s["gain"]) else f"{100 * s['gain']:+.2f}%"
        p = f"no test ({s['no_test']})" if s["no_test"] else f"{s['p']:.3g}"
        lines.append(f"| {e['model']} | {gain} | {p} | {s['n_pairs']} |")
    failures = [(e["model"], r) for e in summary for r in e["failed"]]
    if failures:
        lines += ["", "Failed runs:", ""] + [f"- {m}, seed {r['seed']}: {r.get('error', '')}" for m, r in failures]
    return "\n".join(lines) + "\n"


ITEM_GROUPS = ("warm_items", "cold_items")


def _group_table(title, rows, models, metric, prefixes, label_of):
    lines = [title, "", "| group | users | test interactions | " + " | ".join(models) + " |"]
    lines.append("|---|---|---|" + "---|" * len(models))
    for prefix in prefixes:
        first = next(r for r in rows if f"{prefix}_users" in r)
        cells = []
        for model in models:
            values = [
                float(r[f"{prefix}_{metric}"])
                for r in rows
                if r["model"] == model and r.get(f"{prefix}_{metric}") not in (None, "")
            ]
            cells.append(mean_std_cell(*mean_std(values)))
        lines.append(
            f"| {label_of(first, prefix)} | {first[f'{prefix}_users']} | {first[f'{prefix}_test_interactions']} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def render_groups(rows, models, metric):
    """Markdown: ``metric`` (mean ± std over seeds) per user-activity quartile and for warm and cold items, for
    each model, with the groups' sizes; a note says what a cold-item figure of an ID-only model means."""
    quartiles = sorted({k.split("_", 1)[0] for r in rows for k in r if k.startswith("group") and k.endswith("_group")})
    text = ""
    if quartiles:
        title = f"## Test {metric} by quartile of users' training interactions"
        text += _group_table(title, rows, models, metric, quartiles, lambda row, prefix: row[f"{prefix}_group"])
    items = [prefix for prefix in ITEM_GROUPS if any(f"{prefix}_users" in r for r in rows)]
    if items:
        title = f"## Test {metric} on warm items (a training interaction) and cold items (none)"
        text += "\n" + _group_table(title, rows, models, metric, items, lambda row, prefix: prefix.replace("_", " "))
        text += (
            "\nEach group is scored as if its interactions were the users' only relevant items, over the full "
            "ranking, averaged over the users with one of them. An ID-only model has learned nothing about a cold "
            "item (only negative sampling ever touched its embedding): near-zero cold figures mean it cannot "
            "rank them.\n"
        )
    return text


def plot(summary, curves, main_metric, path):
    """Bar chart of ``main_metric`` with std error bars, and mean validation curves per model."""
    from matplotlib.figure import Figure  # no pyplot: no global state, so runs finishing together may plot at once

    metric = main_metric[len("test_") :] if main_metric.startswith("test_") else main_metric
    fig = Figure(figsize=(12, 4.5))
    left, right = fig.subplots(1, 2)
    names = [e["model"] for e in summary]
    means = [e["metrics"][main_metric]["mean"] for e in summary]
    stds = np.nan_to_num([e["metrics"][main_metric]["std"] for e in summary])  # a single run: no error bar
    left.bar(range(len(names)), means, yerr=stds, capsize=4, color="#4C72B0")
    left.set_xticks(range(len(names)), names, rotation=30, ha="right")
    left.set_ylabel(f"test {metric}")
    finite = [m for m in means if not math.isnan(m)]
    if finite:
        left.set_ylim(min(finite) * 0.9, max(finite) * 1.05)
    left.set_title(f"test {metric}, mean ± std over seeds")
    for model, by_epoch in curves.items():
        if by_epoch:
            epochs = sorted(by_epoch)
            right.plot(epochs, [np.mean(by_epoch[e]) for e in epochs], marker=".", label=model)
    right.set_xlabel("epoch")
    right.set_ylabel(f"validation {metric}")
    right.set_title("validation curves (mean over seeds)")
    if right.lines:
        right.legend(fontsize=8)
    else:
        right.text(0.5, 0.5, "no validation curves recorded", ha="center", transform=right.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
