"""Train several models with several seeds under one config and write an honest leaderboard.

    python -m recbole_darec.compare --models=LightGCN,RLMRecConLightGCN,DaRecLightGCN --dataset=lastfm \
        --seeds=3 [--config_files="a.yaml b.yaml"] [--key=value ...] --out=results/lastfm

Writes ``results.csv`` (one row per model and seed: every test and validation metric,
best epoch, epochs run, seconds per training epoch, evaluation seconds, peak memory,
status and error), ``results.md`` (mean ± std, best marked, gain over the first model
and a paired t-test over seeds) and ``results.png``. Each run is a separate process, so
one crash is recorded as a failed row and the others go on (each run is
``python -m recbole_darec.record_run``); ``--jobs=N`` runs N at once.
Rerunning with the same ``--out`` skips (model, seed) pairs that already finished with the same
settings and data; a finished run whose settings (any config key but where files go and how runs
report; a key only one of the two sets is another model's setting, as a shared preset file has) or data
files differ from this compare's is refused, naming the row file and the first difference, so a table
never mixes two configurations. Two ``compare`` processes may share an ``--out`` when they run
different (model, seed) pairs. ``kill <pid>`` (SIGTERM) of a compare or benchmark ends its runs too; their
rows are not stored, and the next call continues each from its last completed epoch (its checkpoint's
settings and data checked; the figures are those of a run never interrupted, ``resumed_at_epoch`` says
where the last attempt took over).

One source of truth: each run's row is its own file, ``runs/<model>-seed<seed>.json``, written
atomically; ``results.csv`` is derived from those files under a file lock after every run, so two
``compare`` processes finishing together never drop each other's rows.
"""

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.checks import ConfigError
from recbole_darec.cli import name_list, parse_overrides, seeds_from
from recbole_darec.reporting import (
    echoed_command,
    ordered_test_metrics,
    pick_main_metric,
    plot,
    render_markdown,
    summarize,
)
from recbole_darec.run_store import (  # noqa: F401  (store_row, RunsStopped: the store's API, also reached here)
    RunsStopped,
    load_rows,
    recorded_run_differs,
    row_file,
    run_one,
    run_problems,
    run_settings,
    stop_runs_with_this_process,
    store_row,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="LightGCN,DaRecLightGCN")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument(
        "--seeds", default="3", help="a count, 1 to 100 (3: seeds 2020-2022), or a list (2021,2023 or one seed: 2022,)"
    )
    parser.add_argument("--config_files", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="runs at once (each a process; set threads so that jobs x threads <= cores, and "
        "compare costs only between runs made with the same --jobs)",
    )
    parser.add_argument("--main_metric", default=None, help="defaults to the config's valid_metric, lower-cased")
    parser.add_argument(
        "--report_only", action="store_true", help="rewrite the tables from the runs stored so far, train nothing"
    )
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
        seeds = seeds_from(args.seeds)
    except (ConfigError, ValueError) as err:
        parser.error(str(err))
    stop_runs_with_this_process()

    models = name_list(args.models)
    out = args.out or os.path.join("results", f"{args.dataset}-{'-'.join(models)}")
    os.makedirs(out, exist_ok=True)
    csv_path = os.path.join(out, "results.csv")
    rows = load_rows(out)
    pending, conflicts = [], []  # seed by seed, so that a batch cut short still leaves complete pairs
    for seed in seeds:
        for model in models:
            done = next((r for r in rows if r["model"] == model and r["seed"] == seed and r["status"] == "ok"), None)
            if done is None:
                if not args.report_only:
                    pending.append((model, seed))
                continue
            why = recorded_run_differs(done, args.dataset, args.config_files, run_settings(overrides, out))
            if why:
                conflicts.append(f"{row_file(out, model, seed)}: {why}")
            else:
                print(
                    f"{model} seed {seed}: done earlier, kept"
                    + ("" if done.get("run_config") else " (recorded before rows kept their settings: not checked)")
                )
    problems = run_problems(sorted({model for model, _ in pending}), args.dataset, args.config_files, overrides)
    if problems:
        print("error: these runs cannot start; nothing was trained:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if conflicts:
        print(
            "error: these finished runs are not the runs this compare asks for:\n  "
            + "\n  ".join(conflicts)
            + "\nUse another --out for other settings, or delete those row files to run them again.",
            file=sys.stderr,
        )
        return 2
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each run is its own process
        futures = [
            pool.submit(run_one, model, args.dataset, seed, args.config_files, overrides, out)
            for model, seed in pending
        ]
        for future in as_completed(futures):
            row = future.result()
            rows = store_row(out, row)  # with the rows another compare on this --out has stored since
            print(f"{row['model']} seed {row['seed']}: {row['status']} {row.get('error', '')}".rstrip(), flush=True)
    wanted = [r for r in rows if r["model"] in models and r["seed"] in seeds]
    test_metrics = ordered_test_metrics(wanted)
    try:
        main_metric = pick_main_metric(args.main_metric, test_metrics, wanted)
    except ValueError as error:
        print(f"error: {error}. The runs are kept in {csv_path}: rerun with another --main_metric.", file=sys.stderr)
        return 2
    summary = summarize(wanted, models, test_metrics)
    title = f"{', '.join(models)} on {args.dataset}, seeds {','.join(map(str, seeds))}"
    command = echoed_command("compare", argv)
    atomic_write_text(
        os.path.join(out, "results.md"),
        render_markdown(summary, test_metrics, main_metric, title) + f"\nCommand: `{command}`\n",
    )
    curves = {m: {} for m in models}
    for r in wanted:
        if r["status"] == "ok" and r.get("valid_curve"):
            for epoch, result in json.loads(r["valid_curve"]):
                value = result.get(main_metric[len("test_") :])
                if value is not None:
                    curves[r["model"]].setdefault(epoch, []).append(value)
    if test_metrics:
        plot(summary, curves, main_metric, os.path.join(out, "results.png"))
    print(open(os.path.join(out, "results.md")).read())
    return 0 if all(r["status"] == "ok" for r in wanted) else 1


if __name__ == "__main__":
    sys.exit(main())
