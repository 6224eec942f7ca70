"""Epoch time and peak memory with and without ``reuse_freed_memory`` (glibc keeps freed memory for reuse).

    python benchmarks/allocator_cost.py --datasets=dbbook --models=LightGCN,SGL,RLMRecConLightGCN --rounds=3

The setting is process-wide and cannot be undone, so each (model, setting) trains in its own child
process: one warm-up epoch, then ``--rounds`` timed epochs (median shown), and its peak resident memory.
The two settings of a model run back to back, alternating which goes first, so drift hits them alike.
Any ``--key=value`` is passed to the config of every run.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from recbole_darec.cli import override_args, parse_overrides


def child(model, dataset, rounds, overrides):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from epoch_cost import build

    trainer, train_data = build(model, dataset, overrides)
    times = []
    for epoch in range(rounds + 1):
        start = time.perf_counter()
        trainer._train_epoch(train_data, epoch)
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"s_per_epoch": statistics.median(times[1:]), "peak_mb": peak_mb}))


def measure(model, dataset, rounds, overrides, reuse):
    args = [sys.executable, os.path.abspath(__file__), "--child", model, "--datasets", dataset, f"--rounds={rounds}"]
    args += override_args(dict(overrides, reuse_freed_memory=reuse))
    out = subprocess.run(args, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        sys.exit(f"{model} on {dataset} (reuse_freed_memory={reuse}) failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-100k")
    parser.add_argument("--models", default="LightGCN,SGL,SimGCL,RLMRecConLightGCN,DaRecSGL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args, unknown = parser.parse_known_args()
    overrides = parse_overrides(unknown)
    if args.child:
        return child(args.child, args.datasets, args.rounds, overrides)
    print(f"settings: {overrides or 'package defaults'}; each figure from its own process")
    for dataset in args.datasets.split(","):
        print(f"\n### {dataset}\n")
        print("| model | s/epoch, reused | s/epoch, returned | speed-up | peak MB, reused | peak MB, returned |")
        print("|---|---|---|---|---|---|")
        for index, model in enumerate(args.models.split(",")):
            order = (True, False) if index % 2 == 0 else (False, True)
            result = {reuse: measure(model, dataset, args.rounds, overrides, reuse) for reuse in order}
            on, off = result[True], result[False]
            print(
                f"| {model} | {on['s_per_epoch']:.2f} | {off['s_per_epoch']:.2f} | "
                f"{off['s_per_epoch'] / on['s_per_epoch']:.2f}x | {on['peak_mb']:.0f} | {off['peak_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
