"""One leaderboard over runs of several ``compare`` folders (statistics: :mod:`recbole_darec.reporting`).

Runs made by separate ``compare`` batches (another setting, another backbone folder) are
compared, paired by seed, with::

    python -m recbole_darec.leaderboard results/clean-lastfm \
        "results/clean-lastfm-darec-cka:DaRecLightGCN=DaRec (cka)" \
        --models="LightGCN,DaRec (cka)" [--main_metric=ndcg@20] [--out=table.md]

Each source is a ``compare`` output folder or its ``results.csv``, optionally followed by
``:OLD=NEW[,OLD=NEW]`` to rename its models, so that the same model from two folders can
stand side by side. ``--models`` picks and orders the rows; the first is the baseline. ``--seeds`` keeps
only those seeds (a 3-seed table beside 5-seed folders: means over the same seeds as the tests).
"""

import argparse
import os
import sys

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.cli import name_list, seeds_from
from recbole_darec.reporting import (
    echoed_command,
    ordered_test_metrics,
    pick_main_metric,
    read_rows,
    render_markdown,
    summarize,
)


def parse_source(text):
    """``path[:OLD=NEW,...]`` -> (results.csv path, {old: new}); a folder means its ``results.csv``."""
    path, renames = text, {}
    head, sep, tail = text.rpartition(":")
    if sep and "=" in tail:
        path = head
        for pair in tail.split(","):
            old, eq, new = (part.strip() for part in pair.partition("="))
            if not (eq and old and new):
                raise ValueError(f"'{text}': a rename is OLD=NEW (e.g. 'DaRecLightGCN=DaRec (cka)'), got '{pair}'")
            renames[old] = new
    csv_path = os.path.join(path, "results.csv") if os.path.isdir(path) else path
    if not os.path.isfile(csv_path):
        raise ValueError(f"'{csv_path}' does not exist: give a compare output folder or its results.csv")
    return csv_path, renames


def merge_sources(sources):
    """Rows of every source, renamed; a (model, seed) run found in two sources is an error, not a silent pick."""
    rows, origin = [], {}
    for text in sources:
        csv_path, renames = parse_source(text)
        source_rows = read_rows(csv_path)
        unknown = set(renames) - {r["model"] for r in source_rows}
        if unknown:
            found = ", ".join(sorted({r["model"] for r in source_rows}))
            raise ValueError(f"{csv_path} has no model {', '.join(sorted(unknown))} to rename (it has: {found})")
        for row in source_rows:
            row = dict(row, model=renames.get(row["model"], row["model"]))
            key = (row["model"], row["seed"])
            if row["status"] == "ok" and key in origin:
                raise ValueError(
                    f"{row['model']} seed {row['seed']} is in both {origin[key]} and {csv_path}: "
                    f"rename one of them, e.g. '{csv_path}:{row['model']}={row['model']} (2)'"
                )
            if row["status"] == "ok":
                origin[key] = csv_path
            rows.append(row)
    # a failed row of a run that succeeded in another source is not a failure of that model
    return [r for r in rows if r["status"] == "ok" or (r["model"], r["seed"]) not in origin]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", help="compare output folders or results.csv files, [:OLD=NEW,...]")
    parser.add_argument("--models", default=None, help="comma-separated, baseline first (default: all, in order)")
    parser.add_argument("--main_metric", default=None, help="defaults to the runs' valid_metric")
    parser.add_argument("--out", default=None, help="also write the table to this markdown file")
    parser.add_argument(
        "--seeds",
        default=None,
        help="only these seeds, as compare takes them (3: 2020-2022; or a list, 2021,2023,); default: every seed",
    )
    args = parser.parse_args(argv)
    try:
        rows = merge_sources(args.sources)
        if args.seeds:
            kept = seeds_from(args.seeds)
            rows = [r for r in rows if r["seed"] in kept]
        found = list(dict.fromkeys(r["model"] for r in rows))
        models = name_list(args.models) or found
        missing = [m for m in models if m not in found]
        if missing:
            raise ValueError(f"no runs of {', '.join(missing)} in the sources (they have: {', '.join(found)})")
        rows = [r for r in rows if r["model"] in models]
        metrics = ordered_test_metrics(rows)
        main_metric = pick_main_metric(args.main_metric, metrics, rows)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    command = echoed_command("leaderboard", argv)
    text = render_markdown(summarize(rows, models, metrics), metrics, main_metric, "Runs of " + ", ".join(models))
    text += f"\nCommand: `{command}`\n"
    if args.out:
        atomic_write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
