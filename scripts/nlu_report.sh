#!/usr/bin/env bash
# `make nlu-report`: measured NLU quality, written to docs/nlu/.
#   1. 5-fold cross-validation on data/nlu (intent macro-F1, entity F1);
#   2. the held-out file tests/nlu_heldout.yml on the trained model.
# About 50 minutes on 2 cores: each fold is a full NLU training (~7 min) plus an evaluation
# on its training and test parts (~2 min).
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false TQDM_DISABLE=1
out=var/nlu-report
rm -rf "$out" && mkdir -p "$out" docs/nlu
.venv-rasa/bin/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 \
  --out "$out/cv"
.venv-rasa/bin/rasa test nlu --nlu tests/nlu_heldout.yml --model models/assistant.tar.gz \
  --out "$out/heldout"
.venv/bin/python -m bot.nlu_report "$out" docs/nlu
