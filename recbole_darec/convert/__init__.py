"""Bring fixed train/validation/test splits into RecBole as benchmark atomic files.

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

from recbole_darec.convert.cli import main
from recbole_darec.convert.common import ConversionError
from recbole_darec.convert.labelled import convert_labelled_tsv
from recbole_darec.convert.rlmrec import convert_rlmrec
from recbole_darec.convert.txt import convert_lightgcn_txt

__all__ = ["main", "ConversionError", "convert_rlmrec", "convert_lightgcn_txt", "convert_labelled_tsv"]
