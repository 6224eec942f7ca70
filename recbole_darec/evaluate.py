"""Re-score saved best checkpoints on their test split, optionally under other evaluation settings.

    python -m recbole_darec.evaluate results/lastfm/saved [more files or folders] --test_history=train_valid

Each best-model file (``*.pth``, not ``*.last.pth``) is rebuilt with its own config, so the
split and seed are the run's, then scored with RecBole's evaluator. Only evaluation keys may
be changed (``EVALUATION_KEYS``): a run's model selection used validation, which these keys do
not touch, so re-scoring answers "what would the test metrics of the same models be under
this masking or these cut-offs" without retraining. Prints one line per checkpoint and
compare's leaderboard table (mean ± sample std per model, gain over ``--baseline`` with a
paired t-test over seeds on ``--main_metric``); ``--out=file.csv`` also writes the rows.
"""

import argparse
import csv
import glob
import os
import sys

import torch

from recbole_darec.checks import ConfigError
from recbole_darec.cli import parse_overrides
from recbole_darec.leaderboard import pick_main_metric, render_markdown, summarize
from recbole_darec.quick_start import load_data_and_model
from recbole_darec.utils import get_trainer, set_threads

EVALUATION_KEYS = {"test_history", "metrics", "topk", "eval_batch_size", "metric_decimal_place", "use_gpu", "gpu_id"}


def checkpoint_files(paths):
    """Best-model files named by ``paths`` (files, or folders searched one level deep), sorted."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += [f for f in glob.glob(os.path.join(path, "*.pth")) if not f.endswith(".last.pth")]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such checkpoint file or folder.")
    if not files:
        raise FileNotFoundError(f"no best-model files (*.pth, not *.last.pth) in {', '.join(paths)}.")
    return sorted(files)


def rescore(model_file, overrides):
    """Test metrics of one checkpoint with ``overrides`` (evaluation keys only) applied to its config."""
    unknown = sorted(set(overrides) - EVALUATION_KEYS)
    if unknown:
        raise ConfigError(
            f"--{unknown[0]} would change training or data, not evaluation; re-scoring accepts "
            f"only {', '.join(sorted(EVALUATION_KEYS))}."
        )
    config, model, _, _, _, test_data = load_data_and_model(model_file, overrides)
    set_threads(config)
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    with torch.no_grad():
        result = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
    return config["model"], config["seed"], dict(result)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="best-model files or folders holding them")
    parser.add_argument("--out", default=None, help="CSV file for one row per checkpoint")
    parser.add_argument("--baseline", default=None, help="model the others are compared with (default: the first)")
    parser.add_argument("--main_metric", default="recall@20", help="metric of the gain and the paired t-test")
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
    except ConfigError as err:
        parser.error(str(err))
    try:
        rows = []
        for path in checkpoint_files(args.paths):
            model, seed, result = rescore(path, overrides)
            rows.append(dict(model=model, seed=seed, file=path, **{f"test_{k}": v for k, v in result.items()}))
            print(f"{model} seed {seed}: " + "  ".join(f"{k} {v:.4f}" for k, v in result.items()), flush=True)
    except (ConfigError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
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
    summary = summarize([dict(r, status="ok") for r in rows], models, metrics)
    print(render_markdown(summary, metrics, pick_main_metric(args.main_metric, metrics), "Test, re-scored"))
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
