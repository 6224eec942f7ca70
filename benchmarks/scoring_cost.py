"""What each inference rule costs at evaluation: full-sort scores of every user, side by side with the backbone.

    python benchmarks/scoring_cost.py --dataset=ml-100k --rounds=5 [--key=value ...]

Builds LightGCN, DaRecLightGCN under each ``darec_score`` rule, and AlphaRec in this process (untrained: the
cost does not depend on the weights) and times, round-robin, one evaluation's scoring: the scoring view of the
whole graph (RecBole's cached ``restore_*_e``) plus the score matrix of all users in batches of
``eval_batch_size``. Prints the median seconds and the ratio to LightGCN.
"""

import argparse
import statistics
import time

import torch
from epoch_cost import build

from recbole_darec.cli import parse_overrides

MODELS = [
    ("LightGCN", "LightGCN", {}),
    ("DaRec, backbone", "DaRecLightGCN", {"darec_score": "backbone"}),
    ("DaRec, disentangled", "DaRecLightGCN", {"darec_score": "disentangled"}),
    ("DaRec, fused", "DaRecLightGCN", {"darec_score": "fused"}),
    ("AlphaRec", "AlphaRec", {}),
]


@torch.no_grad()
def one_evaluation(model, batch_size):
    model.eval()
    model.restore_user_e = model.restore_item_e = None
    user_e, item_e = model._restored()
    for start in range(1, len(user_e), batch_size):
        user_e[start : start + batch_size] @ item_e.T


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--rounds", type=int, default=5)
    args, unknown = parser.parse_known_args(argv)
    overrides = parse_overrides(unknown)
    models = {name: build(model, args.dataset, {**overrides, **settings})[0].model for name, model, settings in MODELS}
    batch = int(overrides.get("eval_batch_size", 4096))
    seconds = {name: [] for name in models}
    for _ in range(args.rounds + 1):  # the first round warms up
        for name, model in models.items():
            start = time.perf_counter()
            one_evaluation(model, batch)
            seconds[name].append(time.perf_counter() - start)
    base = statistics.median(seconds["LightGCN"][1:])
    print(f"| model ({args.dataset}) | scoring one evaluation, s | / LightGCN |")
    print("|---|---|---|")
    for name, values in seconds.items():
        median = statistics.median(values[1:])
        print(f"| {name} | {median:.4f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
