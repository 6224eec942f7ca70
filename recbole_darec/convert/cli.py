"""The ``python -m recbole_darec.convert`` command line (the formats: :mod:`recbole_darec.convert`)."""

import argparse
import importlib
import sys

from recbole_darec.convert.common import (
    ConversionError,
)
from recbole_darec.convert.labelled import DBBOOK_FILES, convert_labelled_tsv
from recbole_darec.convert.rlmrec import convert_rlmrec
from recbole_darec.convert.txt import convert_lightgcn_txt
from recbole_darec.profiles.texts import ProfileError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m recbole_darec.convert",
        description=importlib.import_module("recbole_darec.convert").__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", choices=["rlmrec", "lightgcn-txt", "labelled-tsv", "dbbook"])
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
    parser.add_argument("--valid_ratio", type=float, default=0.1, help="share carved out with --valid_from=train")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--profile_ids", choices=["auto", "mapped", "raw"], default="auto")
    parser.add_argument("--train", help="labelled-tsv: the training file, relative to --src")
    parser.add_argument("--test", help="labelled-tsv: the test file, relative to --src")
    parser.add_argument("--user_profiles", help="labelled-tsv: a JSONL of user profiles, relative to --src")
    parser.add_argument("--item_names", help="labelled-tsv: an item<TAB>name file, relative to --src")
    args = parser.parse_args(argv)
    if args.format == "dbbook":
        args.format = "labelled-tsv"
        for key, file in DBBOOK_FILES.items():
            setattr(args, key, getattr(args, key) or file)
    if args.format == "labelled-tsv" and not (args.train and args.test):
        parser.error("labelled-tsv needs --train and --test (files in --src)")
    try:
        if args.format == "rlmrec":
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
