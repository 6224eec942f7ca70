"""Per-epoch training time and peak memory: each DaRec model against its backbone and RLMRec-Con.

    python benchmarks/epoch_cost.py --datasets=ml-100k,lastfm --backbones=LightGCN,SGL,SimGCL --rounds=5
    python benchmarks/epoch_cost.py --datasets=ml-1m-implicit --backbones=LightGCN --aligners=DaRec --rounds=5

Timing: all models of one dataset are built in this process and trained epoch by epoch
in round-robin (one warm-up epoch each, then ``--rounds`` timed rounds), so drift of the
machine hits them alike; the median epoch is reported. Memory: each model trains one
epoch in a child process that reports its peak resident set size. Prints markdown tables
with the DaRec / backbone and DaRec / RLMRec-Con ratios. ``--aligners`` names the aligned models timed beside
each backbone (default RLMRecCon,DaRec; leaving RLMRec-Con out saves its 4-7x epochs on a large dataset).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from recbole_darec.cli import override_args, parse_overrides


def build(model, dataset, overrides):
    from recbole_darec.quick_start import build_untrained
    from recbole_darec.trainer import get_trainer

    config, net, train_data, _ = build_untrained(
        model, dataset, config_dict=dict(overrides, state="ERROR", show_progress=False)
    )
    return get_trainer(config, net)(config, net), train_data


def peak_memory_child(model, dataset, overrides):
    args = [sys.executable, os.path.abspath(__file__), "--memory_of", model, "--datasets", dataset]
    args += override_args(overrides)
    out = subprocess.run(args, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("PEAK_MB ")]
    return float(lines[-1].split()[1]) if lines else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-100k,lastfm")
    parser.add_argument("--backbones", default="LightGCN,SGL,SimGCL")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--aligners", default="RLMRecCon,DaRec", help="model prefixes timed beside each backbone")
    parser.add_argument("--memory_of", default=None, help=argparse.SUPPRESS)
    args, unknown = parser.parse_known_args()
    overrides = parse_overrides(unknown)

    if args.memory_of:
        trainer, train_data = build(args.memory_of, args.datasets, overrides)
        trainer._train_epoch(train_data, 0)
        print(f"PEAK_MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
        return
    print(f"settings: {overrides or 'package defaults'}; torch threads from config")
    for dataset in args.datasets.split(","):
        print(f"\n### {dataset}\n")
        print("| backbone | model | s/epoch (median) | x backbone | x RLMRec-Con | peak MB |")
        print("|---|---|---|---|---|---|")
        for backbone in args.backbones.split(","):
            names = [backbone] + [f"{aligner}{backbone}" for aligner in args.aligners.split(",")]
            # Before this process builds anything: a child's peak resident memory starts from its parent's at the
            # fork, so children of a parent holding built models all reported that parent's size.
            memory = {name: peak_memory_child(name, dataset, overrides) for name in names}
            built = {name: build(name, dataset, overrides) for name in names}
            times = {name: [] for name in names}
            for epoch in range(args.rounds + 1):
                for name in names:
                    trainer, train_data = built[name]
                    start = time.perf_counter()
                    trainer._train_epoch(train_data, epoch)
                    if epoch:  # epoch 0 is the warm-up
                        times[name].append(time.perf_counter() - start)
            median = {name: statistics.median(times[name]) for name in names}
            for name in names:
                ratio_backbone = median[name] / median[backbone]
                con = median.get(f"RLMRecCon{backbone}")
                ratio_con = f"{median[name] / con:.2f}" if con else "–"
                print(
                    f"| {backbone} | {name} | {median[name]:.3f} | {ratio_backbone:.2f} | {ratio_con} "
                    f"| {memory[name]:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
