"""What the interactions of a synthetic dataset let a model reach: test Recall@20 / NDCG@20 (full ranking, training
and validation items masked as the generated datasets' ``test_history: train_valid`` says; RecBole's definitions)
of the generator's own scores, given its ground truth.

    python docs/results/scripts/simulator_ceiling.py dataset/sim-sparse-llm0.0 [more dataset folders]

Rows: the true scores (every latent part and popularity: the ceiling), popularity plus the true shared part only
(what a perfect profile could add to a popularity model), the true popularity, and training counts (the package's Pop).
"""

import os
import sys

import numpy as np
import pandas as pd

from recbole_darec.synthetic import affinity, read_truth


def read_split(folder, name, split):
    table = pd.read_csv(os.path.join(folder, f"{name}.{split}.inter"), sep="\t")
    return table.iloc[:, 0].to_numpy() - 1, table.iloc[:, 1].to_numpy() - 1


def recall_ndcg(scores, seen, test, k=20):
    scores = scores.copy()
    for split in seen:
        scores[split] = -np.inf
    top = np.argsort(-scores, axis=1)[:, :k]
    relevant = np.zeros(scores.shape, dtype=bool)
    relevant[test] = True
    hits = np.take_along_axis(relevant, top, axis=1)
    counts = relevant.sum(axis=1)
    users = counts > 0
    recall = hits.sum(axis=1)[users] / counts[users]
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.array([discounts[: min(c, k)].sum() for c in counts[users]])
    ndcg = (hits[users] * discounts).sum(axis=1) / ideal
    return recall.mean(), ndcg.mean()


def main(folders):
    print("| dataset | scores | test Recall@20 | test NDCG@20 |\n|---|---|---|---|")
    for folder in folders:
        name = os.path.basename(os.path.normpath(folder))
        truth = read_truth(folder, name)
        knobs = truth["knobs"]
        popularity = np.broadcast_to(truth["item_popularity"], (knobs["users"], knobs["items"]))
        shared = affinity(knobs, truth, parts=("shared",))
        train, valid, test = (read_split(folder, name, split) for split in ("train", "valid", "test"))
        counts = np.bincount(train[1], minlength=knobs["items"]).astype(float)
        rows = {
            "true scores (ceiling)": affinity(knobs, truth) + popularity,
            "true popularity + true shared part": shared + popularity,
            "true popularity": popularity,
            "training counts (Pop)": np.broadcast_to(counts, popularity.shape),
        }
        for label, scores in rows.items():
            recall, ndcg = recall_ndcg(np.array(scores), (train, valid), test)
            print(f"| {name} | {label} | {recall:.4f} | {ndcg:.4f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
