"""Bring interaction files and fixed train/validation/test splits into RecBole as benchmark atomic files.

    python -m recbole_darec.convert interactions --src=<ratings.csv|.tsv> --name=<name> [--columns=u,i[,r[,t]]]
        [--min_rating=4] [--order=random|time] [--valid_ratio=0.1] [--test_ratio=0.1] [--seed=2020]
        [--duplicates=error|first] [--user_profiles=<file>] [--item_profiles=<file>] [--out=dataset]

``interactions``: your own data (docs/own_data.md); :mod:`recbole_darec.convert.interactions` says how it splits.

    python -m recbole_darec.convert rlmrec --src=<dir with trn_mat.pkl val_mat.pkl tst_mat.pkl
        [usr_prf.pkl itm_prf.pkl usr_emb_np.pkl itm_emb_np.pkl]> --name=amazon-book [--out=dataset]
    python -m recbole_darec.convert lightgcn-txt --src=<dir with train.txt test.txt
        [user_map.txt item_map.txt llm_response_user.json llm_response_item.json movies.dat users.dat]>
        --name=lastfm [--valid_from=test|train] [--valid_ratio=0.1] [--seed=2020] [--out=dataset]

Writes ``<out>/<name>/<name>.{train,valid,test}.inter`` (``user_id:token item_id:token``, raw ids),
profile texts (``<name>.uprofile.jsonl`` / ``.iprofile.jsonl``) when LLM profiles are
present, RLMRec's own profile vectors as user-supplied ``.useremb`` / ``.itememb``,
MovieLens ``.item`` / ``.user`` side files from ``movies.dat`` / ``users.dat``, and
``<name>.yaml``: what a run must know about the split (its benchmark files, columns and which
items to mask at test time), read by this package's Config, so ``--dataset=<name>`` runs as is.

    python -m recbole_darec.convert labelled-tsv --src=<dir> --name=<name> --train=<file> --test=<file>
        [--user_profiles=<jsonl>] [--item_names=<item<TAB>name file>] [--seed=2020] [--out=dataset]
    python -m recbole_darec.convert dbbook --src=../shared/datasets/dbbook-llm-profiles --name=dbbook

``labelled-tsv`` reads ``user<TAB>item<TAB>label`` files (label 1: liked, 0: rated, not liked). The
liked rows are the interactions; validation is a seeded half of each user's liked test items (as
``--valid_from=test``); the not-liked rows are no interactions at all: not trained on, not held out
and not masked at test time (masking a test-time rating would use what the test split knows), so a
book a user rated and disliked stays a candidate like any other unliked book; they are counted.
Users with liked test items but no liked training item are dropped (all-rank evaluation needs a
history) and counted, as are profiled users with no liked item at all. User profiles come from a
JSONL file (``{"user_id", "profile"}`` or ``{"id", "text"}``); item profiles are the item names of the
names file, the text before a trailing ``;http...`` URI (DBbook's ``Title;DBpedia URI``), also written as
a ``.item`` title column for the leakage audit. Test items without a name keep their interactions and
get no profile (zero vectors, ``profile_allow_missing: True`` in the split's YAML, counted). ``dbbook``
is this converter with DBbook's file names.

Validation of a txt split without ``valid.txt`` (``--valid_from``): ``test`` (default) moves a
seeded half of each user's test items into validation (a user with one test item keeps it in
test) and trains on the whole train.txt; ``train`` carves ``--valid_ratio`` of each user's
training items out. When the source's profiles were written from its training file (CoLaKG's
Last.fm), the carve-out is seen by the profiles: the converter runs the leakage audit
(:mod:`recbole_darec.profiles.audit`) on every split it writes and prints its warning.
"""

import argparse
import sys

from recbole_darec.cli import name_list
from recbole_darec.convert.common import ConversionError
from recbole_darec.convert.interactions import convert_interactions
from recbole_darec.convert.labelled import DBBOOK_FILES, convert_labelled_tsv
from recbole_darec.convert.rlmrec import convert_rlmrec
from recbole_darec.convert.txt import convert_lightgcn_txt
from recbole_darec.profiles.texts import ProfileError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m recbole_darec.convert",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", choices=["interactions", "rlmrec", "lightgcn-txt", "labelled-tsv", "dbbook"])
    parser.add_argument("--src", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", default="dataset")
    parser.add_argument(
        "--valid_from",
        choices=["test", "train"],
        default="test",
        help="without valid.txt: validation from half of each user's test items (test) "
        "or carved out of the training file (train)",
    )
    parser.add_argument(
        "--valid_ratio",
        type=float,
        default=0.1,
        help="share of each user's items for validation (interactions; lightgcn-txt with --valid_from=train)",
    )
    parser.add_argument(
        "--test_ratio", type=float, default=0.1, help="interactions: share of each user's items for test"
    )
    parser.add_argument("--columns", help="interactions: user,item[,rating[,timestamp]] column names of the header")
    parser.add_argument("--min_rating", type=float, help="interactions: rows rated below it are no interactions")
    parser.add_argument("--order", choices=["random", "time"], default="random", help="interactions: what is held out")
    parser.add_argument(
        "--duplicates", choices=["error", "first"], default="error", help="interactions: repeated pairs"
    )
    parser.add_argument("--item_profiles", help="interactions: item texts (.json, .jsonl, .csv/.tsv id,text, .pkl)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--profile_ids", choices=["auto", "mapped", "raw"], default="auto")
    parser.add_argument("--train", help="labelled-tsv: the training file, relative to --src")
    parser.add_argument("--test", help="labelled-tsv: the test file, relative to --src")
    parser.add_argument(
        "--user_profiles", help="user texts: labelled-tsv, a JSONL relative to --src; interactions, any text format"
    )
    parser.add_argument("--item_names", help="labelled-tsv: an item<TAB>name file, relative to --src")
    args = parser.parse_args(argv)
    if args.format == "dbbook":
        args.format = "labelled-tsv"
        for key, file in DBBOOK_FILES.items():
            setattr(args, key, getattr(args, key) or file)
    if args.format == "labelled-tsv" and not (args.train and args.test):
        parser.error("labelled-tsv needs --train and --test (files in --src)")
    try:
        if args.format == "interactions":
            convert_interactions(
                args.src,
                args.name,
                args.out,
                name_list(args.columns) if args.columns else None,
                args.min_rating,
                args.duplicates,
                args.order,
                args.valid_ratio,
                args.test_ratio,
                args.seed,
                args.user_profiles,
                args.item_profiles,
            )
        elif args.format == "rlmrec":
            convert_rlmrec(args.src, args.name, args.out)
        elif args.format == "labelled-tsv":
            convert_labelled_tsv(
                args.src, args.name, args.out, args.train, args.test, args.user_profiles, args.item_names, args.seed
            )
        else:
            convert_lightgcn_txt(
                args.src, args.name, args.out, args.valid_ratio, args.seed, args.profile_ids, args.valid_from
            )
    except (ConversionError, ProfileError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
