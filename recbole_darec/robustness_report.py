"""The report of a profile-robustness suite: accuracy against the share of wrong profiles, and alignment strength.

    python -m recbole_darec.robustness_report results/profile_robustness \
        [--suite=properties/suites/profile_robustness.yaml] [--out=<folder>/robustness.md]

Reads the rows a ``benchmark`` run of the suite left (``<out>/<dataset>-<backbone>/...``). A suite entry is
placed by its settings, not its name: ``profile_corruption_fraction`` (and ``_kind``) give its point on the
corruption axis, a loss-weight key (``rlmrec_con_weight``, ``darec_glo_weight``, ``darec_loc_weight``) its
point on the strength axis, and the rest (model class, ``profile_init``) the method, whose clean entry is the
one with no such setting. Per (dataset, backbone):

* test Recall@20 and NDCG@20, mean ± std over seeds, per method and corrupted fraction (fraction 0 = clean),
  and a plot of both against the fraction with seed spread, the backbone as a band;
* each method's change from its own clean score, with a paired t-test over seeds;
* DaRec against RLMRec-Con at every fraction (paired), and every method against the backbone (paired): where a
  method falls below the backbone alone with p < 0.05 over at least 3 seed pairs, the profiles harm it;
* other corruption kinds at the same fraction, beside ``shuffle``;
* the strength axis: each weight's multiple of the method's preset, with validation and test accuracy and, where
  the rows hold them, the profile alignment of the scoring embeddings (``diag_*_cf_profile_cka``).
"""

import argparse
import math
import os
import sys

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.cli import seeds_from
from recbole_darec.reporting import echoed_command, mean_std, mean_std_cell, paired_comparison
from recbole_darec.suite import group_folder, group_rows, load_suite

METRICS = ("test_recall@20", "test_ndcg@20")
WEIGHT_KEYS = ("rlmrec_con_weight", "darec_glo_weight", "darec_loc_weight")
CORRUPTION_KEYS = ("profile_corruption_fraction", "profile_corruption_kind")
SIGNIFICANCE = 0.05
# a verdict (bold) needs this many seed pairs: with two, a t-test has one degree of freedom and "p < 0.05" only
# says that two differences happened to be alike; the suite runs 3 seeds
MIN_PAIRS_FOR_VERDICT = 3


def place(models):
    """``{entry name: (method, axis, value)}``: axis ``clean``, ``(kind)`` with value the fraction, or a weight key
    with value its setting; the method is the clean entry's name of the same model and profile_init."""

    def identity(model, settings):
        return model, settings.get("profile_init", "none")

    clean = {}
    for name, model, settings in models:
        if not set(settings) & {*CORRUPTION_KEYS, *WEIGHT_KEYS}:
            clean.setdefault(identity(model, settings), name)
    placed = {}
    for name, model, settings in models:
        method = clean.get(identity(model, settings))
        if method is None:
            raise ValueError(
                f"suite entry {name} has no clean entry of the same model and profile_init to compare with."
            )
        if "profile_corruption_fraction" in settings:
            kind = settings.get("profile_corruption_kind", "shuffle")
            placed[name] = (method, kind, float(settings["profile_corruption_fraction"]))
        elif set(settings) & set(WEIGHT_KEYS):
            key = next(k for k in WEIGHT_KEYS if k in settings)
            placed[name] = (method, key, float(settings[key]))
        else:
            placed[name] = (method, "clean", 0.0)
    return placed


def by_seed(rows, name, metric):
    return {
        r["seed"]: float(r[metric])
        for r in rows
        if r["model"] == name and r["status"] == "ok" and r.get(metric) not in (None, "")
    }


def _cell(values):
    mean, std = mean_std(list(values.values()))
    return "–" if math.isnan(mean) else f"{mean_std_cell(mean, std)} ({len(values)})"


def _versus(values, reference):
    paired = paired_comparison(values, reference)
    if math.isnan(paired.gain):
        return "–"
    if paired.no_test:
        return f"{100 * paired.gain:+.1f}% (no test: {paired.no_test})"
    mark = "**" if paired.p < SIGNIFICANCE and paired.n_pairs >= MIN_PAIRS_FOR_VERDICT else ""
    pairs = "" if paired.n_pairs >= MIN_PAIRS_FOR_VERDICT else f", {paired.n_pairs} pairs: no verdict"
    return f"{mark}{100 * paired.gain:+.1f}% (p = {paired.p:.3g}{pairs}){mark}"


def corruption_sections(rows, placed, backbone, kind="shuffle"):
    """Markdown lines of the corruption tables for ``kind``, and the plot's series."""
    methods = [m for m in dict.fromkeys(p[0] for p in placed.values()) if m != backbone]
    fractions = sorted({value for _, axis, value in placed.values() if axis == kind})
    point = {(p[0], 0.0 if p[1] == "clean" else p[2]): name for name, p in placed.items() if p[1] in ("clean", kind)}
    columns = [0.0, *fractions]
    header = "| method | " + " | ".join(f"fraction {f:g}" for f in columns) + " |"
    rule = "|---|" + "---|" * len(columns)
    lines, series = [], {}
    for metric in METRICS:
        short = metric[len("test_") :]
        base = by_seed(rows, backbone, metric)
        lines += [f"#### test {short}, mean ± std (seeds)", "", header, rule]
        lines.append(f"| {backbone} (reads no profiles) | {_cell(base)} |" + " – |" * (len(columns) - 1))
        for method in methods:
            cells = [_cell(by_seed(rows, point[(method, f)], metric)) if (method, f) in point else "–" for f in columns]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
            series[(metric, method)] = [
                (f, by_seed(rows, point[(method, f)], metric)) for f in columns if (method, f) in point
            ]
        series[(metric, backbone)] = [(0.0, base)]
        lines += [
            "",
            f"Change from the method's own clean {short} (paired over seeds; bold: p < {SIGNIFICANCE} "
            f"over at least {MIN_PAIRS_FOR_VERDICT} pairs):",
            "",
        ]
        lines += [
            "| method | " + " | ".join(f"fraction {f:g}" for f in fractions) + " |",
            "|---|" + "---|" * len(fractions),
        ]
        for method in methods:
            clean = by_seed(rows, point.get((method, 0.0), ""), metric)
            cells = [
                _versus(by_seed(rows, point[(method, f)], metric), clean) if (method, f) in point else "–"
                for f in fractions
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines += [
            "",
            f"Against the backbone {backbone} alone (a negative bold cell: the profiles harm the method):",
            "",
        ]
        lines += [header, rule]
        for method in methods:
            cells = [
                _versus(by_seed(rows, point[(method, f)], metric), base) if (method, f) in point else "–"
                for f in columns
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        darec = next((m for m in methods if m.startswith("DaRec")), None)
        rlmrec = next((m for m in methods if m.startswith("RLMRecCon")), None)
        if darec and rlmrec:
            cells = [
                _versus(by_seed(rows, point[(darec, f)], metric), by_seed(rows, point[(rlmrec, f)], metric))
                if (darec, f) in point and (rlmrec, f) in point
                else "–"
                for f in columns
            ]
            lines += ["", f"{darec} against {rlmrec} at each fraction (paired):", "", header, rule]
            lines.append(f"| {darec} vs {rlmrec} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines, series


def other_kinds_section(rows, placed, kind):
    """``kind`` against shuffle at each of its fractions, per method."""
    lines = [f"#### `{kind}` against `shuffle` at the same fraction (test recall@20 / ndcg@20)", ""]
    lines += ["| method | fraction | shuffle | " + kind + " | " + kind + " vs shuffle (recall@20, paired) |"]
    lines.append("|---|---|---|---|---|")
    shuffle = {(p[0], p[2]): name for name, p in placed.items() if p[1] == "shuffle"}
    for name, (method, axis, fraction) in placed.items():
        if axis != kind or (method, fraction) not in shuffle:
            continue
        other = shuffle[(method, fraction)]
        cells = [" / ".join(_cell(by_seed(rows, n, m)).split(" (")[0] for m in METRICS) for n in (other, name)]
        versus = _versus(by_seed(rows, name, METRICS[0]), by_seed(rows, other, METRICS[0]))
        lines.append(f"| {method} | {fraction:g} | {cells[0]} | {cells[1]} | {versus} |")
    return lines + [""]


def strength_section(rows, placed, models):
    """The strength axis: each weight entry beside its method's clean entry (1x)."""
    settings = {name: s for name, _, s in models}
    entries = [(name, p) for name, p in placed.items() if p[1] in WEIGHT_KEYS]
    if not entries:
        return []
    diag = [k for k in ("diag_users_cf_profile_cka", "diag_items_cf_profile_cka") if any(r.get(k) for r in rows)]
    head = "| method | weight | value | valid recall@20 | test recall@20 | test ndcg@20 | vs 1x (test recall@20) |"
    lines = [
        "#### Alignment pushed past its preset (weights at multiples of the preset)",
        "",
        head + "".join(f" {k[len('diag_') :]} |" for k in diag),
        "|---|---|---|---|---|---|---|" + "---|" * len(diag),
    ]
    clean = {p[0]: name for name, p in placed.items() if p[1] == "clean"}
    for method in dict.fromkeys(p[0] for _, p in entries):
        base_name = clean[method]
        groups = [(None, base_name)] + [(p, name) for name, p in entries if p[0] == method]
        for p, name in groups:
            weight = "preset (1x)" if p is None else p[1]
            value = "" if p is None else f"{settings[name][p[1]]:g}"
            cells = [_cell(by_seed(rows, name, m)).split(" (")[0] for m in ("valid_recall@20", *METRICS)]
            versus = "" if p is None else _versus(by_seed(rows, name, METRICS[0]), by_seed(rows, base_name, METRICS[0]))
            extra = "".join(f" {_cell(by_seed(rows, name, k)).split(' (')[0]} |" for k in diag)
            lines.append(f"| {name} | {weight} | {value} | " + " | ".join(cells) + f" | {versus} |{extra}")
    return lines + [""]


def plot(series, backbone, path, title):
    """Test metric against corrupted fraction, one line per method (mean, std error bars), backbone as a band."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2))
    for axis, metric in zip(fig.subplots(1, 2), METRICS):
        for (m, method), points in series.items():
            if m != metric:
                continue
            stats = [(f, *mean_std(list(v.values()))) for f, v in points if v]
            if not stats:
                continue
            f, mean, std = (np.array(c) for c in zip(*stats))
            if method == backbone:
                axis.axhline(mean[0], color="black", linestyle="--", label=f"{backbone} (no profiles)")
                axis.axhspan(mean[0] - std[0], mean[0] + std[0], color="black", alpha=0.08)
            else:
                axis.errorbar(f, mean, yerr=std, marker="o", capsize=3, label=method)
        axis.set_xlabel("share of users and items with a wrong (shuffled) profile")
        axis.set_ylabel(f"test {metric[len('test_') :]}")
        axis.set_title(f"{title}: test {metric[len('test_') :]}")
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results, suite, argv=None, seeds=None):
    """The markdown report; ``seeds``: only the runs of these seeds (a partial suite reported over the seeds
    every cell has, so that its figures do not move as the next seed's runs land)."""
    _, _, groups = load_suite(suite)
    lines = [f"# Profile robustness: {suite}", "", f"`{echoed_command('robustness_report', argv)}`", ""]
    for dataset, backbone, _, models, _ in groups:
        folder = group_folder(results, dataset, backbone)
        rows = [r for r in group_rows(results, dataset, backbone, models) if seeds is None or r["seed"] in seeds]
        placed = place(models)
        seeds = sorted({r["seed"] for r in rows if r["status"] == "ok"})
        lines += [
            f"## {dataset} / {backbone}",
            "",
            f"Seeds with a finished run: {', '.join(map(str, seeds)) or 'none'}.",
            "",
        ]
        section, series = corruption_sections(rows, placed, backbone)
        lines += section
        if os.path.isdir(folder):
            image = os.path.join(folder, "robustness.png")
            plot(series, backbone, image, dataset)
            lines += [f"![{dataset}]({os.path.relpath(image, results)})", ""]
        for kind in sorted({p[1] for p in placed.values()} - {"clean", "shuffle", *WEIGHT_KEYS}):
            lines += other_kinds_section(rows, placed, kind)
        lines += strength_section(rows, placed, models)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="the --out folder of a benchmark run of the suite")
    parser.add_argument("--suite", default="properties/suites/profile_robustness.yaml")
    parser.add_argument("--out", default=None, help="markdown file (default: <results>/robustness.md)")
    parser.add_argument(
        "--seeds", default=None, help="report only these seeds: a count (2: 2020, 2021) or a list (2020,2022,)"
    )
    args = parser.parse_args(argv)
    try:
        seeds = set(seeds_from(args.seeds)) if args.seeds else None
    except ValueError as err:
        parser.error(str(err))
    text = report(args.results, args.suite, sys.argv[1:] if argv is None else argv, seeds)
    out = args.out or os.path.join(args.results, "robustness.md")
    atomic_write_text(out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
