# Quartiers productifs assistant — every command a newcomer needs.
#   make run     set up, train if needed, start the assistant (Ctrl-C stops everything)
#   make test    set up, train if needed, run every test
#   make lint    ruff (lint and format), mypy strict, yamllint
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
APP_VENV  := .venv
RASA      := $(RASA_VENV)/bin/rasa
QP        := $(APP_VENV)/bin/qp
MODEL     := models/assistant.tar.gz
WIDGET_NPM := bot/web/node_modules/.package-lock.json
CATALOG_FILES := $(shell find catalog/data -name '*.yml')
# Only what training reads: the NLU components of config.yml's pipeline (rasa_extensions/no_words.py,
# profile_numbers.py with french_numbers.py, place_context.py);
# the channels and the tracker store (credentials.yml, endpoints.yml) are not part of the model.
RASA_INPUTS   := config.yml domain.yml $(shell find data -name '*.yml') rasa_extensions/no_words.py \
                rasa_extensions/french_numbers.py rasa_extensions/profile_numbers.py \
                rasa_extensions/place_context.py rasa_extensions/stateless.py
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup train run run-cluster test test-prerequisites lint system-deps bench bench-cluster \
	profile soak test-without-model nlu-report nlu-baseline nlu-heldout flows simulate lock clean

help:
	@echo "make run    — démarre l'assistant (installe et entraîne si besoin)"
	@echo "make test   — lance tous les tests"
	@echo "make lint   — vérifie le style et les types du code et la syntaxe des YAML"
	@echo "make setup  — installe les deux environnements Python et charge le catalogue"
	@echo "make train  — entraîne le modèle Rasa si config, domaine ou données ont changé"
	@echo "make bench  — mesure les temps de réponse, côte à côte avec le bot de référence Rasa (docs/benchmarks.md)"
	@echo "make profile — graphes de flammes (py-spy) de Rasa et du serveur d'actions sous charge (var/profile/)"
	@echo "make run-cluster — plusieurs processus Rasa derrière HAProxy (PostgreSQL, Redis)"
	@echo "make bench-cluster — débit de deux processus Rasa contre un seul (docs/benchmarks.md)"
	@echo "make soak   — épreuve de fiabilité : 10 000 messages et 4 pannes (docs/reliability.md, ≈ 1 h)"
	@echo "make flows  — joue les scénarios des conseillers (tests/flows) ; rapport : var/flows/rapport.html"
	@echo "make simulate — joue les personnes simulées (tests/personas) ; rapport : var/flows/simulation.html"
	@echo "make nlu-report — mesure la qualité de la compréhension (docs/nlu/, ≈ 50 min)"
	@echo "make nlu-baseline — la référence TF-IDF seule, sans entraîner le pipeline (docs/nlu/reference-tfidf.md, ≈ 1 min de calcul)"
	@echo "make nlu-heldout — le fichier de test séparé seul, sur le modèle entraîné, entités normalisées comprises (≈ 3 min, n'écrit rien dans docs/nlu/)"

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed var/catalog.stamp

# Rasa runtime: Python 3.10, exact versions from requirements/rasa.lock.
$(RASA_VENV)/.installed: requirements/rasa.lock scripts/find-python.sh
	@python=$$(scripts/find-python.sh 3.10) || exit 1; \
	[ -x $(RASA_VENV)/bin/python ] || $$python -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/rasa.lock
	@touch $@

# Our runtime: Python 3.11+, exact versions from requirements/app.lock, then the project.
$(APP_VENV)/.installed: requirements/app.lock pyproject.toml scripts/find-python.sh
	@python=$$(scripts/find-python.sh 3.11+) || exit 1; \
	[ -x $(APP_VENV)/bin/python ] || $$python -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/app.lock
	$(APP_VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

# The catalogue database (SQLite by default, DATABASE_URL otherwise), reloaded when data change.
var/catalog.stamp: $(APP_VENV)/.installed $(CATALOG_FILES) catalog/data/qpv_perimeters.geojson
	@mkdir -p var
	$(QP) catalog validate
	$(QP) catalog load
	$(QP) catalog import-qpv catalog/data/qpv_perimeters.geojson
	@touch $@

# Retrain when config, domain or data changed; Rasa then retrains only the parts that
# changed (fingerprints and its .rasa/cache). Models are not committed.
train: $(MODEL)

$(MODEL): $(RASA_VENV)/.installed $(RASA_INPUTS)
	$(RASA) train --fixed-model-name assistant --out models
	@touch $@

run: setup train
	$(QP) run --no-train

# N Rasa processes (QP_CLUSTER_REPLICAS, default 2) and N action servers behind HAProxy on
# RASA_PORT, plus the web server; conversations in PostgreSQL (QP_TRACKER_URL), one turn at a
# time per conversation through Redis (QP_LOCK_STORE_URL). See docs/rasa.md, « Production ».
run-cluster: setup train
	$(QP) run --cluster --no-train

# Everything the tests need, two jobs at a time: training (the longest step) runs while the
# rest installs and lint checks the code; each step's output is shown when it ends. Then the
# tests in two processes (pytest-xdist; a module stays in one process, so that its fixtures
# are built once, and each process starts its own assistant when it needs one). When the model
# has to be trained, the tests that do not need it run during the training
# (scripts/run-tests.sh). system-deps before the widget: it installs npm, which the widget's
# npm packages need.
test:
	@scripts/run-tests.sh

test-prerequisites: lint system-deps setup train $(WIDGET_NPM)

# The tests without the `rasa` marker, in one process, while the model trains; their status
# goes to a file that scripts/run-tests.sh reads after the other tests. RASA_MODEL points to
# no file, so a test that starts Rasa without its marker fails here (« Modèle introuvable »)
# instead of reading a model being written.
test-without-model: setup system-deps $(WIDGET_NPM)
	@RASA_MODEL=var/aucun-modele-pendant-ces-tests.tar.gz $(APP_VENV)/bin/pytest -m "not rasa" \
		--durations=10; echo $$? > var/tests-sans-modele.status

# Static checks: ruff (lint rules and formatting, pyproject.toml), mypy in strict mode on the
# core, the actions, the settings and the adapters, yamllint on the Rasa data and the
# catalogue (.yamllint.yml).
lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .
	$(APP_VENV)/bin/ruff format --check .
	$(APP_VENV)/bin/mypy catalog actions settings adapters
	$(APP_VENV)/bin/yamllint --strict data domain.yml catalog/data

# Debian's Chromium and npm, and a running PostgreSQL: installed or started when missing, or one
# French sentence saying why not (scripts/system-deps.sh).
system-deps:
	@scripts/system-deps.sh

# The web chat's npm packages: socket.io-client (vendored, committed) and axe-core for the tests.
$(WIDGET_NPM): bot/web/package.json bot/web/package-lock.json scripts/build_widget.sh | system-deps
	scripts/build_widget.sh

# Side by side with the stock Rasa probe bot (../shared/baseline/stock-rasa or QP_BASELINE_DIR,
# trained in var/bench/ when its files change), then our own scenarios → docs/benchmarks.md.
bench: setup train
	$(APP_VENV)/bin/python -m bot.bench

# py-spy flame graphs of Rasa and of the action server under 20 conversations → var/profile/.
profile: setup train
	$(APP_VENV)/bin/python -m bot.profile

# Two Rasa replicas, then one, behind HAProxy, same load, three times: the median throughput
# ratio (docs/benchmarks.md; one replica alone varies more from run to run than two).
# Defaults: this machine's PostgreSQL (database test; the benchmark deletes its conversations
# afterwards), Redis database 12, and no event broker (the turn's cost, not the observatory's).
bench-cluster: setup train
	QP_TRACKER_URL="$${QP_TRACKER_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}" \
	QP_LOCK_STORE_URL="$${QP_LOCK_STORE_URL:-redis://127.0.0.1:6379/12}" \
	QP_EVENT_BROKER="$${QP_EVENT_BROKER:-off}" \
	$(APP_VENV)/bin/python -m bot.bench_cluster

# The reliability suite (tests/soak.py): 10,000 fuzzed messages over REST, socket.io and the
# fake Telegram API, then four faults, against a stack of its own with a throwaway PostgreSQL;
# the figures go into docs/reliability.md. Not part of `make test` (tests/test_soak.py runs a
# small version of it). SOAK_ARGS=… passes options (--messages, --workers, --minutes).
soak: setup train
	$(APP_VENV)/bin/python tests/soak.py --record docs/reliability.md $(SOAK_ARGS)

# Advisors' flow scenarios against the real assistant. FICHIERS=… picks files;
# URL=http://localhost:5005 uses the assistant started by `make run`.
flows: setup train
	$(QP) flows test $(if $(URL),--url $(URL)) $(FICHIERS)

# Simulated people (tests/personas): turns to results, repeated questions, expected and
# forbidden aids; the figures go to docs/simulation-resultats.md (see docs/simulation.md).
simulate: setup train
	$(QP) flows simulate --resultats docs/simulation-resultats.md $(if $(URL),--url $(URL)) $(FICHIERS)

# Measured NLU quality (5-fold cross-validation and the held-out file) → docs/nlu/ (~50 min).
nlu-report: setup train
	scripts/nlu_report.sh

# The TF-IDF baseline alone (seconds of training; loading Rasa's data takes most of the time).
nlu-baseline: setup
	scripts/nlu_report.sh --baseline

# The held-out file alone on the trained model: intents and the entities' normalised values,
# printed (a few minutes; docs/nlu/ is left as it is).
nlu-heldout: setup train
	scripts/nlu_report.sh --heldout

# Refresh the lock files from the installed environments (after changing a dependency).
lock:
	( echo "# Exact versions of the Rasa runtime (Python 3.10). Regenerate: make lock"; \
	  $(RASA_VENV)/bin/pip freeze --exclude-editable ) > requirements/rasa.lock
	( echo "# Exact versions of our runtime (Python 3.11+). Regenerate: make lock"; \
	  $(APP_VENV)/bin/pip freeze --exclude-editable | grep -v '^-e' ) > requirements/app.lock

clean:
	rm -rf models var .rasa results bot/web/node_modules
