"""Leaderboard maths and rendering for multi-seed comparisons.

Per model and metric: mean and sample standard deviation over seeds, relative gain of
the mean over the baseline (first) model, and a paired t-test (scipy's ``ttest_rel``)
over the seeds both models finished, pairing runs by seed.
"""

import math

import numpy as np
from scipy import stats


def mean_std(values):
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def relative_gain(value, baseline):
    return (value - baseline) / baseline if baseline else math.nan


def paired_test(model_by_seed, baseline_by_seed):
    """(p-value, n) of a two-sided paired t-test over the seeds both have; p is NaN below 2 pairs or no variance."""
    seeds = sorted(set(model_by_seed) & set(baseline_by_seed))
    if len(seeds) < 2:
        return math.nan, len(seeds)
    a = np.array([model_by_seed[s] for s in seeds], dtype=float)
    b = np.array([baseline_by_seed[s] for s in seeds], dtype=float)
    if np.allclose(a - b, (a - b)[0]):
        return (0.0 if (a - b)[0] != 0 else 1.0), len(seeds)  # constant difference: t is infinite or undefined
    return float(stats.ttest_rel(a, b).pvalue), len(seeds)


def pick_main_metric(name, test_metrics):
    """``test_<name>`` (``name`` lower-cased, with or without its ``test_`` prefix). A metric that was not
    measured is a :class:`ValueError` naming the measured ones (no silent fallback to another metric)."""
    name = name.lower()
    wanted = name if name.startswith("test_") else "test_" + name
    if test_metrics and wanted not in test_metrics:
        measured = ", ".join(m[len("test_") :] for m in test_metrics)
        raise ValueError(f"main metric '{name}' was not measured; choose one of: {measured}")
    return wanted


def summarize(rows, models, metrics):
    """``rows``: dicts with model, seed, status and metric columns. Returns per-model summaries (baseline first)."""
    ok = {m: {r["seed"]: r for r in rows if r["model"] == m and r["status"] == "ok"} for m in models}
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
            base_mean, _ = mean_std(list(base_values.values()))
            p, n = paired_test(values, base_values) if model != baseline else (math.nan, 0)
            entry["metrics"][metric] = {
                "mean": mean,
                "std": std,
                "gain": relative_gain(mean, base_mean) if model != baseline else math.nan,
                "p": p,
                "n_pairs": n,
            }
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
            if math.isnan(s["mean"]):
                cells.append("–")
                continue
            text = f"{s['mean']:.4f} ± {s['std']:.4f}"
            cells.append(f"**{text}**" if s["mean"] == best[m] else text)
        runs = f"{e['runs']}" + (f" ({len(e['failed'])} failed)" if e["failed"] else "")
        lines.append(f"| {e['model']} | {runs} | " + " | ".join(cells) + " |")
    baseline = summary[0]["model"]
    lines += [
        "",
        f"Mean ± sample std over seeds; best mean per column in bold. Relative to {baseline} "
        f"on {main_metric} (paired t-test over seeds, two-sided):",
        "",
        "| model | gain | p-value | pairs |",
        "|---|---|---|---|",
    ]
    for e in summary[1:]:
        s = e["metrics"][main_metric]
        gain = "–" if math.isnan(s["gain"]) else f"{100 * s['gain']:+.2f}%"
        p = "–" if math.isnan(s["p"]) else f"{s['p']:.3g}"
        lines.append(f"| {e['model']} | {gain} | {p} | {s['n_pairs']} |")
    failures = [(e["model"], r) for e in summary for r in e["failed"]]
    if failures:
        lines += ["", "Failed runs:", ""] + [f"- {m}, seed {r['seed']}: {r.get('error', '')}" for m, r in failures]
    return "\n".join(lines) + "\n"


def plot(summary, curves, main_metric, path):
    """Bar chart of ``main_metric`` with std error bars, and mean validation curves per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = main_metric[len("test_") :] if main_metric.startswith("test_") else main_metric
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [e["model"] for e in summary]
    means = [e["metrics"][main_metric]["mean"] for e in summary]
    stds = [e["metrics"][main_metric]["std"] for e in summary]
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
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
