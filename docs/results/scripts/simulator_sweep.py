"""The simulator sweep's tables and plot from a benchmark's report.csv (properties/suites/simulator.yaml).

    python docs/results/scripts/simulator_sweep.py results/simulator/report.csv --plot=docs/results/simulator_sweep.png
        [--metric=test_recall@20] [--models=LightGCN,RLMRecConLightGCN,...]
        [--truth='results/simulator/sim-*-LightGCN/truth.csv' --truth_plot=docs/results/simulator_truth.png]

Per density (sparse, dense): a markdown table of the metric's mean ± std over seeds per model (rows) and
LLM-specific share (columns), each cell with its gain over LightGCN and the paired t-test's verdict (win / tie /
loss at p < 0.05; closed forms are deterministic: their cell has no spread and no test); and a plot of the mean
with its std against the share, one panel per density. ``--truth``: the CSV files ``evaluate --truth --out``
wrote per dataset (named ``<dataset>-<backbone>/truth.csv``): tables of the mean share of each true latent part
the models hold, per LLM-specific share, and with ``--truth_plot`` a plot of the scoring embeddings' true shared
and LLM-specific parts against the share.
"""

import argparse
import glob
import os
import re
import sys

import pandas as pd

NAME = re.compile(r"sim-(?P<density>[a-z]+)-llm(?P<share>[0-9.]+)$")
# evaluate --truth's figures shown, with their labels
TRUTH_COLUMNS = {
    "truth_item_score_shared": "items: shared",
    "truth_item_score_llm": "items: LLM-specific",
    "truth_user_score_shared": "users: shared",
    "truth_user_score_llm": "users: LLM-specific",
    "truth_item_cf_head_shared": "items, CF shared head: shared",
    "truth_item_llm_head_shared": "items, LLM shared head: shared",
    "truth_item_llm_head_llm": "items, LLM shared head: LLM-specific",
}


def read_sweep(path):
    """report.csv's rows of the sweep's datasets, with ``density`` and ``share`` columns."""
    rows = pd.read_csv(path)
    parts = rows["dataset"].str.extract(NAME)
    rows = rows.assign(density=parts["density"], share=parts["share"].astype(float))
    return rows.dropna(subset=["density"])


def cell(row, metric):
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    text = f"{mean:.4f}" if pd.isna(std) or row["runs"] < 2 else f"{mean:.4f} ± {std:.4f}"
    gain, p_value = row.get(f"{metric}_gain"), row.get(f"{metric}_p")
    if pd.notna(gain):  # a verdict only where a paired test ran (two seeds or more of both)
        verdict = row.get(f"{metric}_vs_backbone") if pd.notna(p_value) else None
        text += f" ({gain:+.1%}" + (f", {verdict})" if isinstance(verdict, str) else ")")
    return text


def tables(rows, metric, models):
    out = []
    for density, part in rows.groupby("density", sort=False):
        shares = sorted(part["share"].unique())
        out += [f"### {density}: {metric} (gain over LightGCN, paired t-test over seeds)", ""]
        out += ["| model | " + " | ".join(f"LLM-specific {s:g}" for s in shares) + " |"]
        out += ["|---|" + "---|" * len(shares)]
        for model in models or list(dict.fromkeys(part["model"])):
            by_share = {r["share"]: r for _, r in part[part["model"] == model].iterrows()}
            out.append(
                f"| {model} | " + " | ".join(cell(by_share[s], metric) if s in by_share else "" for s in shares) + " |"
            )
        out.append("")
    return "\n".join(out)


def draw_line(axis, shares, means, stds, number, model):
    """One model's means with their std against the share, in the colour and marker of its ``number``."""
    import matplotlib.pyplot as plt

    axis.errorbar(
        shares,
        means,
        yerr=stds.fillna(0),
        marker="os^vD"[number % 5],
        color=plt.cm.tab20(number % 20),
        capsize=3,
        label=model,
    )


def plot(rows, metric, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    densities = list(dict.fromkeys(rows["density"]))
    figure, axes = plt.subplots(1, len(densities), figsize=(5.5 * len(densities) + 2.5, 4.5), squeeze=False)
    names = models or list(dict.fromkeys(rows["model"]))
    for axis, density in zip(axes[0], densities):
        part = rows[rows["density"] == density]
        for number, model in enumerate(names):
            line = part[part["model"] == model].sort_values("share")
            if line.empty:
                continue
            draw_line(axis, line["share"], line[f"{metric}_mean"], line[f"{metric}_std"], number, model)
        axis.set_title(f"{density}")
        axis.set_xlabel("LLM-specific share of the profile signal")
        axis.set_ylabel(metric)
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def read_truth_rows(pattern):
    """``evaluate --truth --out`` rows of every file matching ``pattern``, with ``density`` and ``share``."""
    frames = []
    for path in sorted(glob.glob(pattern)):
        dataset = os.path.basename(os.path.dirname(path)).rsplit("-", 1)[0]
        match = NAME.match(dataset)
        if match:
            frames.append(pd.read_csv(path).assign(density=match["density"], share=float(match["share"])))
    if not frames:
        raise FileNotFoundError(f"no truth files match {pattern}")
    return pd.concat(frames, ignore_index=True)


def truth_tables(rows):
    out = []
    columns = [c for c in TRUTH_COLUMNS if c in rows]
    for density, part in rows.groupby("density", sort=False):
        for column in columns:
            table = part.pivot_table(
                index="model", columns="share", values=column, aggfunc=["mean", "std", "count"], dropna=False
            )
            if table.empty:
                continue
            shares = sorted(part["share"].unique())
            out += [f"### {density}: share of the true {TRUTH_COLUMNS[column]} part held (out-of-sample R²)", ""]
            out += [
                "| model | " + " | ".join(f"LLM-specific {s:g}" for s in shares) + " |",
                "|---|" + "---|" * len(shares),
            ]
            for model in table.index:
                cells = []
                for share in shares:
                    mean = table["mean"].get(share, {}).get(model)
                    std = table["std"].get(share, {}).get(model)
                    cells.append("" if pd.isna(mean) else f"{mean:.3f}" + ("" if pd.isna(std) else f" ± {std:.3f}"))
                out.append(f"| {model} | " + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def truth_plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    densities = list(dict.fromkeys(rows["density"]))
    panels = [("truth_item_score_shared", "shared part"), ("truth_item_score_llm", "LLM-specific part")]
    figure, axes = plt.subplots(len(densities), 2, figsize=(13, 4 * len(densities)), squeeze=False)
    names = sorted(rows["model"].unique())  # one colour and marker per model in every panel
    for row_axes, density in zip(axes, densities):
        part = rows[rows["density"] == density]
        for axis, (column, label) in zip(row_axes, panels):
            means = part.groupby(["model", "share"])[column].agg(["mean", "std"]).reset_index()
            for model, line in means.groupby("model"):
                draw_line(axis, line["share"], line["mean"], line["std"], names.index(model), model)
            axis.set_title(f"{density}: item scoring embeddings, true {label}")
            axis.set_xlabel("LLM-specific share of the profile signal")
            axis.set_ylabel("out-of-sample R²")
    handles = {}
    for axis in axes.ravel():
        for handle, label in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    labels = sorted(handles)
    figure.tight_layout(rect=(0, 0, 0.82, 1))
    figure.legend([handles[k] for k in labels], labels, fontsize=7, loc="center right")
    figure.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report")
    parser.add_argument("--metric", default="test_recall@20")
    parser.add_argument("--models", default=None, help="comma-separated, in this order (default: the report's)")
    parser.add_argument("--plot", default=None)
    parser.add_argument("--truth", default=None, help="glob of evaluate --truth --out CSV files")
    parser.add_argument("--truth_plot", default=None)
    args = parser.parse_args(argv)
    rows = read_sweep(args.report)
    models = args.models.split(",") if args.models else None
    print(tables(rows, args.metric, models))
    if args.plot:
        plot(rows, args.metric, models, args.plot)
    if args.truth:
        truth = read_truth_rows(args.truth)
        print(truth_tables(truth))
        if args.truth_plot:
            truth_plot(truth, args.truth_plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
