"""The simulator sweep's tables and plot from a benchmark's report.csv (properties/suites/simulator.yaml).

    python docs/results/scripts/simulator_sweep.py results/simulator/report.csv --plot=docs/results/simulator_sweep.png
        [--metric=test_recall@20] [--models=LightGCN,RLMRecConLightGCN,...]

Per density (sparse, dense): a markdown table of the metric's mean ± std over seeds per model (rows) and
LLM-specific share (columns), each cell with its gain over LightGCN and the paired t-test's verdict (win / tie /
loss at p < 0.05; closed forms are deterministic: their cell has no spread and no test); and a plot of the mean
with its std against the share, one panel per density.
"""

import argparse
import re
import sys

import pandas as pd

NAME = re.compile(r"sim-(?P<density>\w+)-llm(?P<share>[0-9.]+)$")


def read_sweep(path):
    """report.csv's rows of the sweep's datasets, with ``density`` and ``share`` columns."""
    rows = pd.read_csv(path)
    parts = rows["dataset"].str.extract(NAME)
    rows = rows.assign(density=parts["density"], share=parts["share"].astype(float))
    return rows.dropna(subset=["density"])


def cell(row, metric):
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    text = f"{mean:.4f}" if pd.isna(std) or row["runs"] < 2 else f"{mean:.4f} ± {std:.4f}"
    gain, verdict = row.get(f"{metric}_gain"), row.get(f"{metric}_vs_backbone")
    if pd.notna(gain):
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


def plot(rows, metric, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    densities = list(dict.fromkeys(rows["density"]))
    figure, axes = plt.subplots(1, len(densities), figsize=(6 * len(densities), 4.2), squeeze=False)
    for axis, density in zip(axes[0], densities):
        part = rows[rows["density"] == density]
        for model in models or list(dict.fromkeys(part["model"])):
            line = part[part["model"] == model].sort_values("share")
            if line.empty:
                continue
            axis.errorbar(
                line["share"],
                line[f"{metric}_mean"],
                yerr=line[f"{metric}_std"].fillna(0),
                marker="o",
                capsize=3,
                label=model,
            )
        axis.set_title(f"{density}")
        axis.set_xlabel("LLM-specific share of the profile signal")
        axis.set_ylabel(metric)
    axes[0][-1].legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report")
    parser.add_argument("--metric", default="test_recall@20")
    parser.add_argument("--models", default=None, help="comma-separated, in this order (default: the report's)")
    parser.add_argument("--plot", default=None)
    args = parser.parse_args(argv)
    rows = read_sweep(args.report)
    models = args.models.split(",") if args.models else None
    print(tables(rows, args.metric, models))
    if args.plot:
        plot(rows, args.metric, models, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
