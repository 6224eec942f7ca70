"""Each method's grid point with the best validation Recall@20, and its test figures read once, from a benchmark
suite's run files: ``python docs/results/scripts/select_on_validation.py results/closed_forms``.

A method is a family of a suite's names (a name up to its first "-" that starts a setting: "EASE-r50" is EASE,
"L3AE-audience2-r25" is L3AE-audience); every run of the family counts towards its validation budget. Runs of the
wrong-profile study ("...-shuffle-0.5") are no grid points and are left out."""

import glob
import json
import os
import re
import sys


def family(name):
    base = re.sub(r"-(r|k|p|s)\d.*$", "", name)  # settings: reg, k, prior, shrink
    return re.sub(r"\d+$", "", base)


def main(out):
    for folder in sorted(glob.glob(os.path.join(out, "*-*"))):
        runs = {}
        for path in glob.glob(os.path.join(folder, "**", "runs", "*.json"), recursive=True):
            if path.endswith(".metrics.json"):
                continue
            row = json.load(open(path))
            if row.get("status") != "ok":
                continue
            variant = os.path.relpath(path, folder).split(os.sep)[0]
            name = row["model"] if variant == "runs" else variant
            if "-shuffle-" not in name:
                runs.setdefault(family(name), []).append((name, row))
        print(f"## {os.path.basename(folder)}\n")
        print("| method | runs | chosen on validation | valid Recall@20 | test Recall@20 | test NDCG@20 |")
        print("|---|---|---|---|---|---|")
        for method, rows in sorted(runs.items()):
            name, best = max(rows, key=lambda pair: pair[1]["valid_recall@20"])
            print(
                f"| {method} | {len(rows)} | {name} | {best['valid_recall@20']:.4f} | "
                f"{best['test_recall@20']:.4f} | {best['test_ndcg@20']:.4f} |"
            )
        print()


if __name__ == "__main__":
    main(sys.argv[1])
