"""Train and evaluate a model, RecBole-style: ``python run_recbole_darec.py --model=DaRecLightGCN --dataset=ml-100k``
(the command itself: :mod:`recbole_darec.run`)."""

import sys

from recbole_darec.run import main

if __name__ == "__main__":
    sys.exit(main())
