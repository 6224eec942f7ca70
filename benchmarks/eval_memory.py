"""Full-sort evaluation of every user: time and memory at RecBole's batch rule and at eval_memory_mb budgets.

    python benchmarks/eval_memory.py [--size=medium] [--model=LightGCN] [--budgets=~,64,256,1024]
        [--data_path=dataset-cost] [--threads=1] [--dry_run]

The dataset is the cost benchmark's synthetic size (``benchmarks/cost_growth.py``: written once, seeded). Each
budget runs in a process of its own: the model is built untrained (scores are as costly as a trained model's),
then RecBole's evaluator ranks every validation user's full item list (the trainer's ``evaluate``, as a run
validates). Printed per budget: users a batch, seconds, the resident memory evaluation added over the built
model's (peak minus before) and a metric, which must be the same in every row. ``~``: ``eval_memory_mb`` off,
RecBole's rule (``eval_batch_size // items`` users a batch, at our default eval_batch_size of 4,096).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from child import run_child
from cost_growth import PROTOCOL, SIZES, generate_command


def measure(model, dataset, data_path, budget, threads):
    """One budget in this process: ``{"users_a_batch", "seconds", "added_mb", "recall@20"}``."""
    import torch

    from recbole_darec.quick_start import build_untrained
    from recbole_darec.trainer import get_trainer

    torch.set_num_threads(threads)
    settings = {"state": "ERROR", "show_progress": False, "checkpoint_dir": tempfile.mkdtemp(), "data_path": data_path}
    settings["eval_memory_mb"] = None if budget == "~" else float(budget)
    config, net, _, valid_data = build_untrained(model, dataset, [PROTOCOL], settings)
    trainer = get_trainer(config, net)(config, net)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with torch.no_grad():
        result = trainer.evaluate(valid_data, load_best_model=False, show_progress=False)
    seconds = time.perf_counter() - start
    added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    users = min(valid_data.step, len(valid_data.uid_list))  # the users a batch RecBole's full-sort loader took
    return {"users_a_batch": users, "seconds": seconds, "added_mb": added, "recall@20": result["recall@20"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium", choices=sorted(SIZES))
    parser.add_argument("--model", default="LightGCN")
    parser.add_argument("--budgets", default="~,64,256,1024")
    parser.add_argument("--data_path", default="dataset-cost")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dry_run", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the budget of one child process
    args = parser.parse_args()
    dataset = f"cost-{args.size}"
    if args.measure:
        print(json.dumps(measure(args.model, dataset, args.data_path, args.measure, args.threads)))
        return 0
    budgets = args.budgets.split(",")
    generate = generate_command(args.size, args.data_path)
    if args.dry_run:
        print(f"{args.size}: {' '.join(generate)}")
        for budget in budgets:
            print(f"  evaluate {args.model} on {dataset} with eval_memory_mb = {budget}")
        return 0
    if not os.path.isdir(os.path.join(args.data_path, dataset)):
        subprocess.run(generate, check=True)
    print(f"{args.model} on {dataset}, every validation user ranked over every item, {args.threads} thread(s)\n")
    print("| eval_memory_mb | users a batch | seconds | memory added MB | recall@20 |\n|---|---|---|---|---|")
    for budget in budgets:
        child = [sys.executable, __file__, f"--measure={budget}", f"--size={args.size}", f"--model={args.model}"]
        child += [f"--data_path={args.data_path}", f"--threads={args.threads}"]
        row, error = run_child(child)
        if error:
            print(f"| {budget} | failed: {error} |")
            continue
        print(
            f"| {budget} | {row['users_a_batch']} | {row['seconds']:.1f} | {row['added_mb']:.0f} | "
            f"{row['recall@20']:.4f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
