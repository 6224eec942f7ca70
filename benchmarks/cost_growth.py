"""How each model's costs grow with the data, on the synthetic generator's datasets from ML-1M's size to Amazon-Book's.

    python benchmarks/cost_growth.py [--sizes=small,medium,large] [--models=LightGCN,DaRecLightGCN,...] [--steps=3]
        [--eval_users=2048] [--data_path=dataset-cost] [--threads=1] [--out=cost_growth.md] [--dry_run]

For each size, ``python -m recbole_darec synthetic`` writes a dataset once (seeded; 384-d supplied profile vectors);
then every model is measured in a process of its own, side by side with LightGCN in the same run: the dataset
and model build (seconds), training steps at RLMRec's batch of 4,096 (median seconds a step; the epoch projected
from the number of batches), full-sort scoring of ``--eval_users`` users (seconds, projected to all users), the
process's peak resident memory once the build is done and at the end; build time and build memory also as multiples
of LightGCN's at the same size. Closed forms (EASE, L3AE) are fitted at build time and have no steps; their dense
items x items matrices are refused above ``dense_memory_limit_gb`` with the figure, which the table shows.
Last, each cost's growth exponent: the slope of log(cost) against log(training interactions) and against log(nodes)
over the sizes (full-sort scoring is users x items by definition: about 2 against nodes).
``--dry_run`` prints what would run and exits. docs/results/cost.md keeps the figures.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

from child import run_child

# users, items, density (training interactions are about 80% of users x items x density): interactions grow 7x
# (0.39M, 0.9M, 2.7M) and nodes 15x from the first size to the last
SIZES = {
    "tiny": (600, 400, 0.05),  # a smoke test, not a figure
    "small": (6040, 3260, 0.02),  # ML-1M's users and items, 40% of its density
    "medium": (20000, 30000, 0.0015),
    "large": (52643, 91502, 0.00056),  # Amazon-Book's users and items, its 2.7M interactions
}
MODELS = "LightGCN,DaRecLightGCN,RLMRecConLightGCN,AlphaRec,EASE,L3AE"
PROTOCOL = "properties/protocol/rlmrec.yaml"


def generate_command(size, data_path):
    """The command that writes size ``size``'s dataset ``cost-<size>`` under ``data_path`` (seeded)."""
    users, items, density = SIZES[size]
    command = [sys.executable, "-m", "recbole_darec", "synthetic", f"--name=cost-{size}", f"--out={data_path}"]
    return command + [f"--users={users}", f"--items={items}", f"--density={density}", "--seed=2020"]


def measure(model, dataset, data_path, steps, eval_users, threads):
    """One model in this process: build, steps, scoring; a dict of figures (or of the refusal)."""
    import resource

    import torch

    from recbole_darec.checks import ConfigError
    from recbole_darec.quick_start import build_untrained

    def peak_mb():  # the process's peak resident memory so far
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    torch.set_num_threads(threads)
    settings = {"state": "ERROR", "show_progress": False, "checkpoint_dir": tempfile.mkdtemp(), "data_path": data_path}
    start = time.perf_counter()
    try:
        config, net, train_data, _ = build_untrained(model, dataset, [PROTOCOL], settings)
    except ConfigError as err:
        return {"model": model, "refused": str(err).split(":")[0][:160]}
    figures = {"model": model, "build_s": time.perf_counter() - start, "build_peak_mb": peak_mb()}
    figures["device"] = str(config["device"])
    device = config["device"]

    def sync():  # CUDA runs asynchronously: a timer reads the clock after the device has finished
        if device.type == "cuda":
            torch.cuda.synchronize()

    trainable = [p for p in net.parameters() if p.requires_grad and p.numel() > 1]
    if trainable:
        optimizer = torch.optim.Adam(trainable, lr=1e-3)
        times = []
        for index, batch in zip(range(steps + 1), train_data):
            batch = batch.to(device)
            sync()
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = net.calculate_loss(batch)
            (sum(loss) if isinstance(loss, tuple) else loss).backward()
            optimizer.step()
            sync()
            if index:  # the first step warms up
                times.append(time.perf_counter() - start)
        times.sort()
        figures["step_s"] = times[len(times) // 2]
        figures["epoch_s"] = figures["step_s"] * len(train_data)
    net.eval()
    users = torch.arange(1, min(eval_users, net.n_users - 1) + 1)
    from recbole.data.interaction import Interaction

    sync()
    start = time.perf_counter()
    with torch.no_grad():
        for chunk in users.split(256):
            net.full_sort_predict(Interaction({config["USER_ID_FIELD"]: chunk}).to(device))
    sync()
    seconds = time.perf_counter() - start
    figures["score_all_users_s"] = seconds * (net.n_users - 1) / len(users)
    figures["peak_mb"] = peak_mb()
    figures["interactions"] = len(train_data._dataset)
    figures["nodes"] = net.n_users + net.n_items
    return figures


def growth(rows, key, against="interactions"):
    """Least-squares slope of log(key) on log(``against``: training interactions or nodes) over the sizes."""
    points = [(math.log(r[against]), math.log(r[key])) for r in rows if r.get(key)]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def cells(row, backbone_rows):
    """The table cells of one measured row; build time and build memory also as multiples of LightGCN's."""
    backbone = next((b for b in backbone_rows if b["interactions"] == row["interactions"]), None)

    def times(key):
        return f"{row[key] / backbone[key]:.2f}" if backbone else "–"

    values = [row["interactions"], row["nodes"], f"{row['build_s']:.1f}", times("build_s")]
    values += [f"{row['build_peak_mb']:.0f}", times("build_peak_mb"), f"{row.get('step_s', 0):.3f}"]
    return list(map(str, values)) + [
        f"{row.get('epoch_s', 0):.0f}",
        f"{row['score_all_users_s']:.2f}",
        f"{row['peak_mb']:.0f}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--models", default=MODELS)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--eval_users", type=int, default=2048)
    parser.add_argument("--data_path", default="dataset-cost")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=None, help="also write the table to this markdown file")
    parser.add_argument("--dry_run", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: model,dataset of one child process
    args = parser.parse_args()
    if args.measure:
        model, dataset = args.measure.split(",")
        print(json.dumps(measure(model, dataset, args.data_path, args.steps, args.eval_users, args.threads)))
        return 0
    sizes, models = args.sizes.split(","), args.models.split(",")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; the sizes are {list(SIZES)}")
    plan = [(size, f"cost-{size}", generate_command(size, args.data_path)) for size in sizes]
    if args.dry_run:
        for size, dataset, generate in plan:
            print(f"{size}: {' '.join(generate)}")
            for model in models:
                print(f"  measure {model} on {dataset} (steps {args.steps}, {args.eval_users} users scored)")
        return 0
    rows = {model: [] for model in models}
    lines = [
        "| size | model | interactions | nodes | build s | x LightGCN | build peak MB | x LightGCN | step s "
        "| epoch s (projected) | score all users s | peak MB |"
    ]
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size, dataset, generate in plan:
        if not os.path.isdir(os.path.join(args.data_path, dataset)):
            subprocess.run(generate, check=True)
        for model in models:
            child = [sys.executable, __file__, f"--measure={model},{dataset}", f"--data_path={args.data_path}"]
            child += [f"--steps={args.steps}", f"--eval_users={args.eval_users}", f"--threads={args.threads}"]
            row, error = run_child(child)
            if error:
                lines.append(f"| {size} | {model} | failed: {error} |")
            elif "refused" in row:
                lines.append(f"| {size} | {model} | refused: {row['refused']} |")
            else:
                rows[model].append(row)
                lines.append(f"| {size} | {model} | " + " | ".join(cells(row, rows.get("LightGCN", []))) + " |")
            print(lines[-1], flush=True)
    lines += [
        "",
        "Growth exponents, slope of log cost on log training interactions / on log nodes (users + items):",
        "",
    ]
    lines += ["| model | build | build peak memory | step | epoch | scoring all users | peak memory |"]
    lines.append("|---|---|---|---|---|---|---|")
    keys = ("build_s", "build_peak_mb", "step_s", "epoch_s", "score_all_users_s", "peak_mb")
    for model, measured in rows.items():
        slopes = [(growth(measured, k), growth(measured, k, "nodes")) for k in keys]
        lines.append(f"| {model} | " + " | ".join("–" if a is None else f"{a:.2f} / {b:.2f}" for a, b in slopes) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
