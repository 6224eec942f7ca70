#!/usr/bin/env bash
# The device check of issue 48, for a CUDA machine: the cost benchmark at the largest size and ML-1M's LightGCN,
# DaRec and L3AE rows, each recording where it ran. From the repository root, after the README's install:
#   bash benchmarks/gpu_check.sh [--dry-run] [--out=results/gpu_check]
# --dry-run prints every command and checks what they need (the package, the shared ML-1M copy or an already
# converted split), running nothing; it passes on a machine without a GPU (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=0
OUT=results/gpu_check
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    --out=*) OUT="${arg#--out=}" ;;
    *) echo "error: unknown option $arg (use --dry-run, --out=<folder>)" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python}
COMMANDS=(
  "$PY -c 'import torch, json; print(json.dumps({\"torch\": torch.__version__, \"cuda\": torch.cuda.is_available(), \"device\": torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"cpu\"}))' > $OUT/device.json"
  "$PY benchmarks/cost_growth.py --sizes=large --threads=4 --data_path=dataset-cost --out=$OUT/cost_growth_large.md"
  "$PY -m recbole_darec convert lightgcn-txt --src=../shared/datasets/ml-1m-colakg --name=ml-1m-implicit"
  "$PY -m recbole_darec compare --models=LightGCN,DaRecLightGCN --dataset=ml-1m-implicit --seeds=2020, --config_files=\"rlmrec rlmrec_lightgcn\" --out=$OUT/ml1m"
  "$PY -m recbole_darec compare --models=L3AE --dataset=ml-1m-implicit --seeds=2020, --config_files=rlmrec --out=$OUT/ml1m-l3ae"
)
$PY -c "import recbole_darec" || { echo "error: recbole_darec is not importable: install it first (README)" >&2; exit 2; }
if [ ! -d dataset/ml-1m-implicit ] && [ ! -d ../shared/datasets/ml-1m-colakg ]; then
  echo "error: neither dataset/ml-1m-implicit nor ../shared/datasets/ml-1m-colakg exists: the ML-1M rows need one" >&2
  exit 2
fi
if [ "$DRY" = 1 ]; then
  echo "dry run: would create $OUT and run, in order:"
  printf '  %s\n' "${COMMANDS[@]}"
  exit 0
fi
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
  || { echo "error: no CUDA device here; this check is for a GPU machine (--dry-run works anywhere)" >&2; exit 2; }
mkdir -p "$OUT"
for command in "${COMMANDS[@]}"; do
  echo "+ $command"
  bash -c "$command"
done
echo "done: $OUT (device.json says where it ran; each row's run_config records its device)"
