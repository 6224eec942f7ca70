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
(linear CKA and 20-nearest-neighbour overlap per side), for aligned models and plain backbones;
``--truth``, for datasets written by ``python -m recbole_darec synthetic``, how much of each true latent part
(shared, CF-specific, LLM-specific) the scoring embeddings and DaRec's shared heads hold (:func:`truth_recovery`).
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
from recbole_darec.model.measures import alignment_report, recovered_share
from recbole_darec.profiles import ProfileError, profile_vectors
from recbole_darec.quick_start import rebuild_from_checkpoint
from recbole_darec.reporting import mean_std, mean_std_cell, pick_main_metric, render_groups, render_markdown, summarize
from recbole_darec.runtime import configure_runtime
from recbole_darec.synthetic import FACTOR_PARTS, read_truth
from recbole_darec.trainer import get_trainer

# what re-scoring may change: how the test is scored, and where, on how many threads and with which memory reuse
# (never what was trained)
EVALUATION_KEYS = {
    "test_history",
    "metrics",
    "topk",
    "eval_batch_size",
    "eval_memory_mb",
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


def rescore(model_file, overrides, alignment=False, truth=False):
    """A :class:`Rescored` checkpoint: its test metrics with ``overrides`` (evaluation keys only) applied to its
    config, the metrics by quartile of the users' training interactions and, with ``alignment``, how close
    the embeddings it ranks with are to the profile vectors (:func:`scoring_alignment`), with ``truth`` how
    much of a synthetic dataset's true factors they hold (:func:`truth_recovery`), both in ``alignment``."""
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
        if truth:
            figures.update(truth_recovery(model, dataset, read_truth(config["data_path"], config["dataset"])))
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
        report = alignment_report(_scoring_embeddings(model, kind), profile_vectors(dataset, kind)[1:])
        figures.update({f"align_{kind}_{key}": value for key, value in report.items()})
    return figures


def _scoring_embeddings(model, kind):
    """A model's cached full-sort embeddings of one side (``restore_user_e`` / ``restore_item_e``), [PAD] row
    dropped; refused for models that keep none (the closed forms score with item x item weights)."""
    cf = getattr(model, f"restore_{kind}_e", None)
    if cf is None:
        raise ConfigError(f"{type(model).__name__} keeps no scoring embeddings (restore_{kind}_e) to compare.")
    return cf[1:].float().cpu()


def truth_recovery(model, dataset, truth):
    """How much of each true latent part of a synthetic dataset (``truth``: :func:`~recbole_darec.synthetic.read_truth`)
    a model holds, per side, as :func:`~recbole_darec.model.measures.recovered_share` (out-of-sample R² of a
    linear map): ``truth_<side>_score_<part>`` for the embeddings it ranks with, and for DaRec
    ``truth_<side>_cf_head_shared`` (its CF shared head on the backbone's output: does it find the true shared
    factors?) and ``truth_<side>_llm_head_<shared|llm>`` (its LLM shared head on the profile vectors: the shared
    factors it should keep, the LLM-specific ones it should drop). DaRec's theory: direct alignment carries
    the LLM-specific part into the scoring embeddings; disentangled alignment does not."""
    alignment = getattr(model, "alignment", None)
    heads = getattr(alignment, "cf_heads", None) is not None
    if heads:
        backbone = dict(zip(("user", "item"), model.forward(model.main_view_ego())))
    figures = {}
    for kind in ("user", "item"):
        field = dataset.uid_field if kind == "user" else dataset.iid_field
        raw_ids = dataset.id2token(field, range(1, dataset.num(field)))
        rows = [int(token) - 1 for token in raw_ids]  # the generator's raw ids are 1..n, its rows 0..n-1
        parts = {part: torch.from_numpy(truth[f"{kind}_{part}"][rows]) for part in FACTOR_PARTS}
        scoring = _scoring_embeddings(model, kind)
        figures.update({f"truth_{kind}_score_{p}": recovered_share(scoring, parts[p]) for p in FACTOR_PARTS})
        if heads:
            cf_shared = alignment.cf_heads(backbone[kind][1:])[0].float().cpu()
            llm_shared = alignment.llm_heads(getattr(model, f"{kind}_profile")[1:])[0].float().cpu()
            figures[f"truth_{kind}_cf_head_shared"] = recovered_share(cf_shared, parts["shared"])
            figures[f"truth_{kind}_llm_head_shared"] = recovered_share(llm_shared, parts["shared"])
            figures[f"truth_{kind}_llm_head_llm"] = recovered_share(llm_shared, parts["llm"])
    return figures


def render_alignment(rows, models):
    """Markdown: :func:`scoring_alignment`'s and :func:`truth_recovery`'s figures per model (mean ± std over
    seeds; a cell is empty for a model without the figure, as a backbone without DaRec's heads)."""
    sections = (
        ("align_", "Scoring embeddings against the profile vectors (all users / items)"),
        ("truth_", "Share of each true latent part the model holds (out-of-sample R², all users / items)"),
    )
    lines = []
    for prefix, title in sections:
        keys = list(dict.fromkeys(k for r in rows for k in r if k.startswith(prefix)))
        if not keys:
            continue
        lines += [f"## {title}", "", "| model | " + " | ".join(k[len(prefix) :] for k in keys) + " |"]
        lines.append("|---|" + "---|" * len(keys))
        for model in models:
            cells = []
            for key in keys:
                values = [float(r[key]) for r in rows if r["model"] == model and key in r]
                cells.append(mean_std_cell(*mean_std(values), places=3) if values else "")
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


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
    parser.add_argument(
        "--truth",
        action="store_true",
        help="also report how much of a synthetic dataset's true shared, CF-specific and LLM-specific factors the "
        "scoring embeddings (and DaRec's shared heads) hold",
    )
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
    except ConfigError as err:
        parser.error(str(err))
    try:
        rows = []
        for path, name in checkpoint_files(args.paths):
            rescored = rescore(path, overrides, alignment=args.alignment, truth=args.truth)
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
    if args.alignment or args.truth:
        print(render_alignment(per_seed, models))
    if args.out:
        atomic_write_csv(args.out, rows, list(dict.fromkeys(k for r in rows for k in r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
