"""Re-score saved best checkpoints on their test split, optionally under other evaluation settings.

    python -m recbole_darec.evaluate results/lastfm/saved [more files or folders] --test_history=train_valid
    python -m recbole_darec.evaluate results/x/saved results/x/DaRec-fused/saved=DaRec-fused --alignment

Each best-model file (``*.pth``, not ``*.last.pth``) is rebuilt with its own config, so the
split and seed are the run's (a checkpoint whose split or profile vectors changed since is refused,
by the sha256 of the files it recorded), then scored with RecBole's evaluator. Only evaluation keys may
be changed (``EVALUATION_KEYS``): a run's model selection used validation, which these keys do
not touch, so re-scoring answers "what would the test metrics of the same models be under
this masking or these cut-offs" without retraining. Prints one line per checkpoint and
compare's leaderboard table (mean ± sample std per model, gain over ``--baseline`` with a
paired t-test over seeds on ``--main_metric``); ``--out=file.csv`` also writes the rows.
``--groups=user_activity`` adds metrics by quartile of the users' training interactions, ``--groups=items``
for test interactions on warm and cold items (no training interaction) apart, ``--groups=all`` both, with
the groups' sizes;
``--alignment`` adds how close each model's scoring embeddings are to the profile vectors
(linear CKA and 20-nearest-neighbour overlap per side), for aligned models and plain backbones.
"""

import argparse
import glob
import os
import sys
from collections import Counter, namedtuple

import torch

from recbole_darec.atomic_io import atomic_write_csv
from recbole_darec.checkpoint import CheckpointError, load_checkpoint
from recbole_darec.checks import ConfigError
from recbole_darec.cli import parse_overrides
from recbole_darec.grouped_evaluation import evaluate_by_group, group_columns
from recbole_darec.model.measures import alignment_report
from recbole_darec.profiles import ProfileError, profile_vectors
from recbole_darec.quick_start import rebuild_from_checkpoint
from recbole_darec.reporting import mean_std, mean_std_cell, pick_main_metric, render_groups, render_markdown, summarize
from recbole_darec.runtime import configure_runtime
from recbole_darec.trainer import get_trainer

# what re-scoring may change: how the test is scored, and where, on how many threads and with which memory reuse
# (never what was trained)
EVALUATION_KEYS = {
    "test_history",
    "metrics",
    "topk",
    "eval_batch_size",
    "metric_decimal_place",
    "use_gpu",
    "gpu_id",
    "threads",
    "reuse_freed_memory",
}


def _path_and_name(path):
    """``folder=Name`` -> ``("folder", "Name")``; a path that exists as written, or has no ``=``, is unnamed."""
    if os.path.exists(path) or "=" not in path:
        return path, None
    folder, name = path.rsplit("=", 1)
    return folder, name or None


def checkpoint_files(paths):
    """``[(best-model file, name or None)]`` for ``paths`` (files, or folders searched one level deep; a path may
    end in ``=Name``, the name its checkpoints are reported under), sorted by file."""
    files = []
    for named_path in paths:
        path, name = _path_and_name(named_path)
        if os.path.isdir(path):
            files += [(f, name) for f in glob.glob(os.path.join(path, "*.pth")) if not f.endswith(".last.pth")]
        elif os.path.isfile(path):
            files.append((path, name))
        else:
            raise FileNotFoundError(f"{path}: no such checkpoint file or folder.")
    if not files:
        raise FileNotFoundError(f"no best-model files (*.pth, not *.last.pth) in {', '.join(paths)}.")
    return sorted(files)


# --groups: which of evaluate_by_group's groups to report
GROUP_KINDS = {"user_activity": ("users",), "items": ("items",), "all": ("users", "items")}

Rescored = namedtuple("Rescored", "model seed valid_metric result groups alignment saved_at")


def rescore(model_file, overrides, alignment=False):
    """A :class:`Rescored` checkpoint: its test metrics with ``overrides`` (evaluation keys only) applied to its
    config, the metrics by quartile of the users' training interactions and, with ``alignment``, how close
    the embeddings it ranks with are to the profile vectors (:func:`scoring_alignment`; else ``{}``)."""
    unknown = sorted(set(overrides) - EVALUATION_KEYS)
    if unknown:
        raise ConfigError(
            f"--{unknown[0]} would change training or data, not evaluation; re-scoring accepts "
            f"only {', '.join(sorted(EVALUATION_KEYS))}."
        )
    checkpoint = load_checkpoint(model_file)
    config, model, dataset, train_data, _, test_data = rebuild_from_checkpoint(model_file, checkpoint, overrides)
    configure_runtime(config)
    trainer = get_trainer(config, model)(config, model)
    with torch.no_grad():
        result, by_group = evaluate_by_group(trainer, test_data, train_data._dataset, load_best_model=False)
        figures = scoring_alignment(model, dataset) if alignment else {}
    valid_metric = config["valid_metric"].lower()
    saved_at = checkpoint["saved_at"]
    return Rescored(config["model"], config["seed"], valid_metric, dict(result), by_group, figures, saved_at)


def scoring_alignment(model, dataset):
    """Linear CKA and 20-nearest-neighbour overlap between the embeddings a model ranks with (after a full-sort
    evaluation, its cached ``restore_user_e`` / ``restore_item_e``) and the profile vectors, per side, over
    every user and item: whether an alignment reached the embeddings that score, for aligned models and
    plain backbones alike."""
    figures = {}
    for kind in ("user", "item"):
        cf = getattr(model, f"restore_{kind}_e", None)
        if cf is None:
            raise ConfigError(f"{type(model).__name__} keeps no scoring embeddings (restore_{kind}_e) to compare.")
        report = alignment_report(cf[1:].float().cpu(), profile_vectors(dataset, kind)[1:])
        figures.update({f"align_{kind}_{key}": value for key, value in report.items()})
    return figures


def render_alignment(rows, models):
    """Markdown: :func:`scoring_alignment`'s figures per model (mean ± std over seeds)."""
    keys = [k for k in rows[0] if k.startswith("align_")]
    lines = [
        "## Scoring embeddings against the profile vectors (all users / items)",
        "",
        "| model | " + " | ".join(k[len("align_") :] for k in keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for model in models:
        cells = [mean_std([float(r[k]) for r in rows if r["model"] == model]) for k in keys]
        lines.append(f"| {model} | " + " | ".join(mean_std_cell(*cell, places=3) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "paths",
        nargs="+",
        help="best-model files or folders holding them; folder=Name reports that folder's checkpoints as Name "
        "(variants of one model class, side by side)",
    )
    parser.add_argument("--out", default=None, help="CSV file for one row per checkpoint")
    parser.add_argument(
        "--baseline", default=None, help="model the others are compared with (default: the first by file name)"
    )
    parser.add_argument(
        "--main_metric", default=None, help="metric of the gain and the paired t-test (default: the runs' valid_metric)"
    )
    parser.add_argument(
        "--groups",
        choices=sorted(GROUP_KINDS),
        default=None,
        help="also report metrics by quartile of the users' training interactions (user_activity), for warm and "
        "cold items (items), or both (all)",
    )
    parser.add_argument(
        "--alignment",
        action="store_true",
        help="also report how close each model's scoring embeddings are to the profile vectors (CKA, 20-NN overlap)",
    )
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
    except ConfigError as err:
        parser.error(str(err))
    try:
        rows = []
        for path, name in checkpoint_files(args.paths):
            rescored = rescore(path, overrides, alignment=args.alignment)
            row = dict(
                model=name or rescored.model,
                seed=rescored.seed,
                file=path,
                valid_metric=rescored.valid_metric,
                **{f"test_{k}": v for k, v in rescored.result.items()},
                **rescored.alignment,
                saved_at=rescored.saved_at,
            )
            if args.groups:
                row.update(group_columns({kind: rescored.groups[kind] for kind in GROUP_KINDS[args.groups]}))
            rows.append(row)
            figures = {**rescored.result, **rescored.alignment}
            print(
                f"{row['model']} seed {rescored.seed}: " + "  ".join(f"{k} {v:.4f}" for k, v in figures.items()),
                flush=True,
            )
    except (ConfigError, CheckpointError, FileNotFoundError, ProfileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shared = Counter((r["model"], r["seed"]) for r in rows)
    for (model, seed), count in shared.items():
        if count > 1:
            print(
                f"note: {count} checkpoints are {model} with seed {seed} (e.g. trials of a search); the tables below "
                "keep the last written of each seed, so compare them by their lines above or by --out's rows.",
                file=sys.stderr,
            )
    # the last checkpoint of each seed, by the time stored in it (file names carry month names, which sort badly)
    per_seed = list({(r["model"], r["seed"]): r for r in sorted(rows, key=lambda r: r["saved_at"])}.values())
    models = list(dict.fromkeys(r["model"] for r in rows))
    if args.baseline:
        if args.baseline not in models:
            print(
                f"error: --baseline={args.baseline} is none of the checkpoints' models ({', '.join(models)}).",
                file=sys.stderr,
            )
            return 2
        models.remove(args.baseline)
        models.insert(0, args.baseline)
    metrics = [k for k in rows[0] if k.startswith("test_")]
    summary = summarize([dict(r, status="ok") for r in per_seed], models, metrics)
    try:
        main_metric = pick_main_metric(args.main_metric, metrics, per_seed)
    except ValueError as error:
        print(f"error: {error}.", file=sys.stderr)
        return 2
    print(render_markdown(summary, metrics, main_metric, "Test, re-scored"))
    if args.groups:
        print(render_groups(per_seed, models, main_metric[len("test_") :]))
    if args.alignment:
        print(render_alignment(per_seed, models))
    if args.out:
        atomic_write_csv(args.out, rows, list(dict.fromkeys(k for r in rows for k in r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
