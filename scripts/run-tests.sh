#!/usr/bin/env bash
# `make test`: install what is missing, train the model if needed, and run every test, keeping
# both cores busy from start to end.
#
# Training (Rasa's DIET, several minutes from scratch) is the longest step and leaves part of
# the second core idle. So when the model has to be trained, the tests that do not need it
# (those without the `rasa` marker, pyproject.toml) run in one process during the training;
# then the tests that need the model run in two processes. When the model is already up to
# date, every test runs in two processes at once. The result is the same set of tests either
# way; a failure in either part fails `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."

MAKE_QUIET=(make --no-print-directory)
PYTEST=.venv/bin/pytest
STATUS=var/tests-sans-modele.status

echo "Installation, entraînement du modèle et vérifications (deux à la fois ; la sortie de chaque étape s'affiche quand elle se termine)…"
if "${MAKE_QUIET[@]}" -q train >/dev/null 2>&1; then
	"${MAKE_QUIET[@]}" -j2 --output-sync=target test-prerequisites || exit
	exec "$PYTEST" -n 2 --dist loadfile --durations=20
fi

echo "Le modèle doit être entraîné : les tests qui n'en ont pas besoin passent pendant l'entraînement."
mkdir -p var && rm -f "$STATUS"
"${MAKE_QUIET[@]}" -j2 --output-sync=target test-prerequisites test-without-model || exit
echo "Les tests qui utilisent le modèle entraîné :"
"$PYTEST" -n 2 --dist loadfile -m rasa --durations=20
with_model=$?
without_model=$(cat "$STATUS" 2>/dev/null || echo 1)
if [ "$without_model" != 0 ]; then
	echo "Des tests sans modèle ont échoué (leur rapport est plus haut, avant l'entraînement)."
fi
[ "$with_model" = 0 ] && [ "$without_model" = 0 ]
