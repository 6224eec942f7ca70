"""Training steps of several models on the same batches, one process, against the first; where the time goes.

    python benchmarks/step_cost.py --dataset=dbbook --models=LightGCN,AlphaRec,DaRecLightGCN [--steps=5] [--profile]

Builds every model under ``--config_files`` (default RLMRec's protocol: batch 4,096, embedding 32) and times
``calculate_loss`` plus backward on the same first batches, round-robin, one warm-up step each; prints the median
seconds per step and each model's ratio to the first. ``--profile`` adds torch.profiler's table (self time per
operator) of the last model's steps. docs/results/cost.md keeps the figures.
"""

import argparse
import statistics
import tempfile
import time

import torch


def step(net, batch):
    loss = net.calculate_loss(batch)
    (sum(loss) if isinstance(loss, tuple) else loss).backward()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="dbbook")
    parser.add_argument("--models", default="LightGCN,AlphaRec", help="comma-separated; the first is the baseline")
    parser.add_argument("--data_path", default="dataset")
    parser.add_argument("--config_files", default="properties/protocol/rlmrec.yaml")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = args.models.split(",")
    from recbole_darec.quick_start import build_untrained

    settings = {
        "state": "ERROR",
        "show_progress": False,
        "checkpoint_dir": tempfile.mkdtemp(),
        "data_path": args.data_path,
    }
    nets = {m: build_untrained(m, args.dataset, args.config_files.split(), settings)[1:3] for m in models}
    batches = [b for _, b in zip(range(args.steps + 1), nets[models[0]][1])]
    times = {name: [] for name in nets}
    for index, batch in enumerate(batches):
        for name, (net, _) in nets.items():
            start = time.perf_counter()
            step(net, batch)
            if index:  # step 0 is the warm-up
                times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"{args.dataset}, batch {len(batches[0])}, {args.threads} thread(s), median of {args.steps} steps")
    print("| model | s/step | / " + models[0] + " |\n|---|---|---|")
    for name in models:
        print(f"| {name} | {median[name]:.4f} | **{median[name] / median[models[0]]:.2f}** |")
    if args.profile:
        from torch.profiler import profile

        with profile() as prof:
            for batch in batches[1:]:
                step(nets[models[-1]][0], batch)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
