"""What DaRec's in-training diagnostics cost: epochs with them on (every ``--interval`` steps) and off, side by side.

    python benchmarks/diagnostics_cost.py --dataset=ml-100k --interval=100 --rounds=4 [--key=value ...]

Both models are built in this process and trained epoch by epoch in turn (the first epoch of each is a
warm-up), so drift of the machine hits them alike; prints the median epochs and their ratio.
"""

import argparse
import statistics
import time

from epoch_cost import build

from recbole_darec.cli import parse_overrides


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--model", default="DaRecLightGCN")
    parser.add_argument("--interval", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args, unknown = parser.parse_known_args(argv)
    overrides = parse_overrides(unknown)
    runs = {
        interval: build(args.model, args.dataset, dict(overrides, darec_diagnostics_interval=interval))
        for interval in (args.interval, 0)
    }
    seconds = {interval: [] for interval in runs}
    for epoch in range(args.rounds + 1):
        for interval, (trainer, train_data) in runs.items():
            start = time.perf_counter()
            trainer._train_epoch(train_data, epoch)
            seconds[interval].append(time.perf_counter() - start)
    steps = len(runs[0][1])
    medians = {interval: statistics.median(values[1:]) for interval, values in seconds.items()}
    print(f"| {args.model} on {args.dataset} ({steps} steps per epoch) | median epoch, s |")
    print("|---|---|")
    for interval, median in medians.items():
        print(f"| diagnostics {'every %d steps' % interval if interval else 'off'} | {median:.3f} |")
    print(f"\non / off: {medians[args.interval] / medians[0]:.3f}")


if __name__ == "__main__":
    main()
