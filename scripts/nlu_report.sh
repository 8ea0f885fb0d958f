#!/usr/bin/env bash
# `make nlu-report`: measured NLU quality, written to docs/nlu/.
#   1. 5-fold cross-validation on data/nlu (intent macro-F1, entity F1), its folds recorded;
#   2. the held-out file tests/nlu_heldout.yml on the trained model;
#   3. the TF-IDF + logistic regression baseline on the same folds and the held-out file, and
#      the held-out entities' normalised values (bot/nlu_entities.py).
# About 50 minutes on 2 cores: each fold is a full NLU training (~7 min) plus an evaluation
# on its training and test parts (~2 min).
# `scripts/nlu_report.sh --baseline` (make nlu-baseline): only step 3's baseline, on folds drawn
# with the same seed, in seconds; writes docs/nlu/reference-tfidf.md and leaves README.md.
# `scripts/nlu_report.sh --heldout` (make nlu-heldout): only step 2 and the held-out entities'
# normalised values, on models/assistant.tar.gz (a few minutes); prints them, writes nothing
# in docs/nlu/.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false TQDM_DISABLE=1 PYTHONWARNINGS=ignore
seed=2026   # numpy's global seed before Rasa draws the folds (rasa_extensions/nlu_folds.py)
folds=5
python=.venv-rasa/bin/python
if [ "${1:-}" = "--baseline" ]; then
  out=var/nlu-baseline
  rm -rf "$out" && mkdir -p "$out" docs/nlu
  $python -m rasa_extensions.nlu_folds folds "$seed" "$folds" data/nlu "$out/folds.json"
  $python -m rasa_extensions.nlu_folds examples tests/nlu_heldout.yml data/nlu \
    "$out/heldout_examples.json"
  $python -m rasa_extensions.nlu_baseline "$out/folds.json" "$out/heldout_examples.json" \
    "$out/baseline"
  .venv/bin/python -m bot.nlu_report --baseline "$out" docs/nlu
  exit 0
fi
if [ "${1:-}" = "--heldout" ]; then
  out=var/nlu-heldout
  rm -rf "$out" && mkdir -p "$out"
  .venv-rasa/bin/rasa test nlu --nlu tests/nlu_heldout.yml --model models/assistant.tar.gz \
    --successes --out "$out/heldout"
  $python -m rasa_extensions.nlu_folds examples tests/nlu_heldout.yml data/nlu \
    "$out/heldout_examples.json"
  .venv/bin/python -m bot.nlu_report --heldout "$out"
  exit 0
fi
out=var/nlu-report
rm -rf "$out" && mkdir -p "$out" docs/nlu
$python -m rasa_extensions.nlu_folds cross-validate "$seed" "$out/folds.json" -- \
  test nlu --nlu data/nlu --config config.yml --cross-validation --folds "$folds" --out "$out/cv"
.venv-rasa/bin/rasa test nlu --nlu tests/nlu_heldout.yml --model models/assistant.tar.gz \
  --successes --out "$out/heldout"
$python -m rasa_extensions.nlu_folds examples tests/nlu_heldout.yml data/nlu \
  "$out/heldout_examples.json"
$python -m rasa_extensions.nlu_baseline "$out/folds.json" "$out/heldout_examples.json" \
  "$out/baseline"
.venv/bin/python -m bot.nlu_report "$out" docs/nlu
