"""One training run that records its metrics and costs as JSON: what ``compare`` starts for each (model, seed).

    python -m recbole_darec.record_run --model=LightGCN --dataset=lastfm --seed=2020 --result_file=out.json \
        [--config_files="a.yaml b.yaml"] [--resume=if_any] [--key=value ...]

``--resume=if_any`` continues this run's last-epoch checkpoint when an interrupted attempt left one (the row then
says at which epoch this process took over; its costs and validation curve cover the whole run).
"""

import argparse
import json
import os
import sys

from recbole_darec.atomic_io import atomic_write_text
from recbole_darec.checks import ConfigError
from recbole_darec.cli import config_file_list, parse_overrides
from recbole_darec.grouped_evaluation import group_columns


def run_one_and_record(model, dataset, seed, result_file, config_files=None, overrides=None, resume=None):
    """Train one model (in this process), write its metrics and costs to ``result_file`` as JSON."""
    import resource

    import torch

    from recbole_darec.quick_start import run_recbole_darec
    from recbole_darec.trainer import LAST_SUFFIX

    result = run_recbole_darec(model, dataset, config_files, dict(overrides or {}, seed=seed), resume=resume)
    valid_history = result["valid_history"]
    best_epoch = "" if result["best_epoch"] is None else result["best_epoch"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak resident memory, MB
    row = {f"test_{k}": v for k, v in (result["test_result"] or {}).items()}
    if torch.cuda.is_available():
        row["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    row.update({f"valid_{k}": v for k, v in (result["best_valid_result"] or {}).items()})
    epochs = result["epoch_seconds"]
    row.update(
        best_epoch=best_epoch,
        epochs_run=len(epochs),
        train_s_per_epoch=round(sum(epochs) / len(epochs), 3) if epochs else "",
        eval_s=round(result["eval_seconds"], 2),
        peak_mem_mb=round(peak, 1),
        valid_curve=json.dumps(valid_history),
        valid_metric=result["valid_metric"],
        resumed_at_epoch="" if result["resumed_at_epoch"] is None else result["resumed_at_epoch"],
        run_config=result["config"],
        data_fingerprint=json.dumps(result["data_fingerprint"], sort_keys=True),
    )
    row.update(group_columns(result["test_groups"]))  # users' activity quartiles, warm and cold items
    row.update({f"diag_{k}": v for k, v in result["diagnostics"].items()})
    atomic_write_text(result_file, json.dumps(row))
    # recorded: a rerun (its row deleted, perhaps for changed code) must train afresh, not finish this one again
    last = result["model_file"][: -len(".pth")] + LAST_SUFFIX
    if os.path.exists(last):
        os.remove(last)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--result_file", required=True)
    parser.add_argument("--config_files", default=None)
    parser.add_argument("--resume", default=None, help="as run_recbole_darec.py's --resume")
    args, unknown = parser.parse_known_args(argv)
    try:
        overrides = parse_overrides(unknown)
    except ConfigError as err:
        parser.error(str(err))
    config_files = config_file_list(args.config_files)
    run_one_and_record(args.model, args.dataset, args.seed, args.result_file, config_files, overrides, args.resume)
    return 0


if __name__ == "__main__":
    sys.exit(main())
