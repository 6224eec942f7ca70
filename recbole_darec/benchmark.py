"""A benchmark suite in one command: every dataset x backbone x model x seed of a suite file, then one report.

    python -m recbole_darec.benchmark properties/suites/leakfree.yaml [--out=results/leakfree] [--jobs=2]
        [--datasets=dbbook] [--backbones=LightGCN] [--models=LightGCN,DaRecLightGCN] [--seeds=2023,2024,]
        [--report_only] [--threads=1] [--key=value ...]

A suite file names the seeds, settings for every run, and per dataset its preset files and, per backbone,
more preset files and its models (the backbone itself first: the baseline). A model may also be a variant,
``{name: DaRec-fused, model: DaRecLightGCN, settings: {darec_score: fused}}``, run in a folder of its own and
reported under its name::

    seeds: 5                      # or a list: [2020, 2021]
    settings: {epochs: 300}       # --key=value for every run (command-line ones win)
    datasets:
      lastfm:
        config_files: [properties/protocol/rlmrec.yaml]
        backbones:
          LightGCN:
            config_files: [properties/tuned/lastfm_lightgcn.yaml]
            models: [LightGCN, RLMRecConLightGCN, DaRecLightGCN]

Each (dataset, backbone) runs through :mod:`recbole_darec.compare` into ``<out>/<dataset>-<backbone>``, so a
suite cut short resumes where it stopped; ``--seeds`` runs and reports a part of the suite's seeds, so one
suite can be shared between machines whose row files are merged later (``docs/results/records/``), and
``--models`` trains only some of its models (more seeds for the closest ones) while reporting all. Then
``<out>/report.md`` (with ``report.csv`` behind it): per dataset and backbone, mean ± std of Recall@20 and
NDCG@20, the gain over the backbone and over RLMRec-Con (the ``RLMRecCon*`` model of that backbone) with
paired t-tests on the seeds both finished, the metric by users' activity quartile and for warm and cold
items, and a wins / ties / losses count of each method against its backbone (a win or loss needs p < 0.05).
"""

import argparse
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from recbole_darec import compare
from recbole_darec.atomic_io import atomic_write_csv, atomic_write_text
from recbole_darec.checks import ConfigError
from recbole_darec.cli import name_list, override_args, parse_overrides, seeds_from
from recbole_darec.reporting import echoed_command, mean_std_cell, render_groups, summarize
from recbole_darec.run_store import run_problems
from recbole_darec.suite import SuiteError, chosen_seeds, group_folder, group_name, group_rows, load_suite, variants

REPORT_METRICS = ("test_recall@20", "test_ndcg@20")
SELECTION_METRIC = "valid_recall@20"  # shown beside them: settings are chosen on validation, never on test
SIGNIFICANCE = 0.05


def run_suite(seeds, settings, overrides, groups, out, jobs, trained=None):
    """Every (group, variant, model, seed) through compare (which skips finished runs), ``jobs`` at a time, with
    the suite's settings, the group's, the variant's and the command line's, in that order of precedence;
    ``trained``, if given, the suite's names (a variant's or a model's) of the only models to train.

    Seed by seed (every run of a seed is started before any of the next), so a suite cut short leaves
    complete pairs for the paired tests; runs of one folder may finish together, which compare's row files
    and lock are made for. A last pass over all seeds (``--report_only``: nothing trained) rewrites each
    folder's results.md. Returns the exit codes of the (dataset, backbone, variant) groups that had a failed run.
    """
    tasks, folders = [], []
    for dataset, backbone, files, models, group_settings in groups:
        for variant, classes, variant_settings in variants(models):
            base = [
                f"--dataset={dataset}",
                f"--out={group_folder(out, dataset, backbone, variant)}",
                *override_args({**settings, **group_settings, **variant_settings, **overrides}),
            ]
            if files:
                base.append(f"--config_files={' '.join(files)}")
            key = (dataset, backbone, variant)
            folders.append([f"--models={','.join(classes)}", f"--seeds={seeds}", *base, "--report_only"])
            tasks += [
                (seed, key, [f"--models={model}", f"--seeds={seed},", *base])
                for seed in seeds_from(seeds)
                for model in classes
                if trained is None or (variant or model) in trained
            ]
    tasks.sort(key=lambda task: task[0])  # stable: within a seed, the suite's order
    failed = {}

    def run(task):
        seed, key, argv = task
        print(f"== {group_name(*key)}, seed {seed}: {argv[0][len('--models=') :]}", flush=True)
        return key, compare.main(argv)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for key, code in pool.map(run, tasks):
            if code:
                failed[key] = code
    for argv in folders:
        compare.main(argv)
    return failed


def suite_problems(settings, overrides, groups, trained=None):
    """compare's checks (``run_problems``) of every run the suite would train, before the first one starts."""
    problems = []
    for dataset, backbone, files, models, group_settings in groups:
        for variant, classes, variant_settings in variants(models):
            wanted = [m for m in classes if trained is None or (variant or m) in trained]
            merged = {**settings, **group_settings, **variant_settings, **overrides}
            found = run_problems(wanted, dataset, " ".join(files) or None, merged)
            problems += [f"{group_name(dataset, backbone, variant)} / {line}" for line in found]
    return problems


def _cell(stats):
    return mean_std_cell(stats["mean"], stats["std"])


def _versus(stats):
    if math.isnan(stats["gain"]):
        return "–"
    if stats["no_test"]:
        return f"{100 * stats['gain']:+.2f}% (no test: {stats['no_test']})"
    return f"{100 * stats['gain']:+.2f}% (p = {stats['p']:.3g}, {stats['n_pairs']} pairs)"


def verdict(stats):
    """win / loss (p < 0.05 and the sign of the gain) or tie of a paired comparison; "unpaired" without pairs."""
    if not stats["n_pairs"]:
        return "unpaired"
    if stats["no_test"] or math.isnan(stats["p"]) or stats["p"] >= SIGNIFICANCE:
        return "tie"
    return "win" if stats["gain"] > 0 else "loss"


def build_report(groups, out, seeds):
    """``(markdown, csv rows)`` of every group's finished runs."""
    sections, table, tally = [], [], {}
    kept_seeds = seeds_from(seeds)
    for dataset, backbone, _, entries, _ in groups:
        models = [name for name, _, _ in entries]
        rows = group_rows(out, dataset, backbone, entries)
        wanted = [r for r in rows if r["seed"] in kept_seeds]
        if not wanted:
            sections.append(f"## {dataset} / {backbone}\n\nNo finished runs yet.\n")
            continue
        versus_backbone = summarize(wanted, models, [*REPORT_METRICS, SELECTION_METRIC])
        rlmrec = next((m for m in models if m.startswith("RLMRecCon")), None)
        versus_rlmrec = {}
        if rlmrec:
            ordered = [rlmrec] + [m for m in models if m != rlmrec]
            versus_rlmrec = {e["model"]: e for e in summarize(wanted, ordered, list(REPORT_METRICS))}
        lines = [
            f"## {dataset} / {backbone}",
            "",
            "| model | runs | valid Recall@20 | Recall@20 | NDCG@20 | vs backbone, Recall@20 | vs backbone, NDCG@20 | "
            "vs RLMRec-Con, Recall@20 | vs RLMRec-Con, NDCG@20 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for entry in versus_backbone:
            model = entry["model"]
            other = versus_rlmrec.get(model) if model != rlmrec else None
            cells = [_cell(entry["metrics"][m]) for m in (SELECTION_METRIC, *REPORT_METRICS)]
            cells += [_versus(entry["metrics"][m]) if model != backbone else "–" for m in REPORT_METRICS]
            cells += [_versus(other["metrics"][m]) if other else "–" for m in REPORT_METRICS]
            runs = f"{entry['runs']}" + (f" ({len(entry['failed'])} failed)" if entry["failed"] else "")
            lines.append(f"| {model} | {runs} | " + " | ".join(cells) + " |")
            record = {"dataset": dataset, "backbone": backbone, "model": model, "runs": entry["runs"]}
            record.update({f"{SELECTION_METRIC}_mean": entry["metrics"][SELECTION_METRIC]["mean"]})
            for metric in REPORT_METRICS:
                stats = entry["metrics"][metric]
                record.update({f"{metric}_mean": stats["mean"], f"{metric}_std": stats["std"]})
                if model != backbone:
                    record.update({f"{metric}_gain": stats["gain"], f"{metric}_p": stats["p"]})
                    outcome = verdict(stats)
                    record[f"{metric}_vs_backbone"] = outcome
                    method = model[: -len(backbone)] if model.endswith(backbone) else model
                    counts = tally.setdefault(method, {"win": 0, "tie": 0, "loss": 0, "unpaired": 0})
                    counts[outcome] += 1
            table.append(record)
        ok = [r for r in wanted if r["status"] == "ok"]
        if ok:
            lines += ["", render_groups(ok, [m for m in models if any(r["model"] == m for r in ok)], "recall@20")]
        sections.append("\n".join(lines) + "\n")
    summary = [
        "## Wins, ties and losses against the backbone",
        "",
        f"Per method, over every dataset, backbone and metric (Recall@20, NDCG@20): a win or loss is a paired "
        f"t-test over seeds with p < {SIGNIFICANCE}, in the direction of the gain; anything else is a tie; "
        "'no pairs': no seed that both the method and its backbone finished.",
        "",
        "| method | wins | ties | losses | no pairs |",
        "|---|---|---|---|---|",
    ]
    summary += [
        f"| {method} | {c['win']} | {c['tie']} | {c['loss']} | {c['unpaired']} |" for method, c in tally.items()
    ]
    return "\n".join(sections) + "\n" + "\n".join(summary) + "\n", table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", help="a suite YAML file (properties/suites/)")
    parser.add_argument("--out", default=None, help="default: results/<suite file name>")
    parser.add_argument(
        "--jobs", type=int, default=1, help="runs at once, each a process (keep jobs x threads within the cores)"
    )
    parser.add_argument("--report_only", action="store_true", help="write the report of the runs so far, train nothing")
    parser.add_argument("--datasets", default=None, help="run only these datasets of the suite (comma-separated)")
    parser.add_argument("--backbones", default=None, help="run only these backbones of the suite (comma-separated)")
    parser.add_argument(
        "--models", default=None, help="train only these models of the suite (their names in it); report all"
    )
    parser.add_argument(
        "--seeds", default=None, help="run and report only these of the suite's seeds (a count or a list: 2023,2024,)"
    )
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
        seeds, settings, groups = load_suite(args.suite)
        for position, wanted in ((0, args.datasets), (1, args.backbones)):
            if wanted:
                names = name_list(wanted)
                known = list(dict.fromkeys(group[position] for group in groups))
                unknown_names = [name for name in names if name not in known]
                if unknown_names:
                    raise SuiteError(f"{args.suite} has no {', '.join(unknown_names)} (it has: {', '.join(known)}).")
                groups = [group for group in groups if group[position] in names]
        trained = None
        if args.models:
            trained = name_list(args.models)
            known = list(dict.fromkeys(name for group in groups for name, _, _ in group[3]))
            unknown_names = [name for name in trained if name not in known]
            if unknown_names:
                raise SuiteError(f"{args.suite} has no model {', '.join(unknown_names)} (it has: {', '.join(known)}).")
        if args.seeds:
            seeds = chosen_seeds(args.suite, seeds, args.seeds)
    except (ConfigError, SuiteError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not args.report_only:
        problems = suite_problems(settings, overrides, groups, trained)
        if problems:
            print(
                "error: these runs of the suite cannot start; nothing was trained:\n  " + "\n  ".join(problems),
                file=sys.stderr,
            )
            return 2
    out = args.out or os.path.join("results", os.path.splitext(os.path.basename(args.suite))[0])
    os.makedirs(out, exist_ok=True)
    compare.stop_runs_with_this_process()
    failed = {} if args.report_only else run_suite(seeds, settings, overrides, groups, out, args.jobs, trained)
    text, table = build_report(groups, out, seeds)
    command = echoed_command("benchmark", argv)
    title = f"# Benchmark suite {args.suite}, seeds {seeds.rstrip(',')}\n\nCommand: `{command}`\n\n"
    atomic_write_text(os.path.join(out, "report.md"), title + text)
    if table:
        atomic_write_csv(os.path.join(out, "report.csv"), table, list(dict.fromkeys(k for r in table for k in r)))
    print(title + text)
    for key, code in failed.items():
        print(f"error: {group_name(*key)}: compare exited {code} (failed runs are listed above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
