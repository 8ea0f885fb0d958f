#!/usr/bin/env bash
# The system side of `make test`, what pip cannot install: Debian's Chromium and npm (browser
# tests, axe-core), Debian's nginx (`nginx -t` on the production example), Debian's HAProxy
# (the cluster's load balancer, tests/test_cluster.py) and the local PostgreSQL server the
# catalogue tests also run on. (`make run` needs nothing from the system but Python 3.10 and
# 3.11+, which scripts/find-python.sh checks.)
#
# What is missing is installed with apt-get when we are root on Debian; otherwise the script
# stops with one French sentence that says what to install and why it could not. Everything
# already present is left alone, so a second run costs nothing.
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }

# Debian packages to install for the commands that are missing.
missing_packages() {
  local pkgs=()
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
  # nginx: tests/test_nginx_example.py checks the production example (docs/nginx-limites.conf)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs+=(nginx-light)
  # haproxy: the cluster's load balancer (tests/test_cluster.py, make run-cluster)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || pkgs+=(haproxy)
  echo "${pkgs[@]:-}"
}

apt_install() {
  local pkgs="$1"
  if [ "$(id -u)" != 0 ]; then
    say "Il manque des paquets système ($pkgs) et « make test » ne peut pas les installer :" \
        "il faut être root. Installez-les une fois : sudo apt-get install -y $pkgs"
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "Il manque des paquets système ($pkgs) et cette machine n'a pas apt-get (Debian ou" \
        "Ubuntu) : installez l'équivalent avec le gestionnaire de paquets du système."
    exit 1
  fi
  echo "Installation des paquets système manquants : $pkgs (apt-get)…"
  # `apt-get update` first: on a new machine the package lists may be empty or old. Another
  # apt-get (unattended upgrades, a second checkout) may hold the dpkg lock: wait for it.
  if ! apt-get -o DPkg::Lock::Timeout=600 update -qq \
      || ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $pkgs >/dev/null; then
    say "L'installation de $pkgs par apt-get a échoué (voir les messages ci-dessus) ;" \
        "installez-les à la main puis relancez « make test »."
    exit 1
  fi
}

# The machine's PostgreSQL (127.0.0.1:5432, database test) for the catalogue tests: started when
# installed but stopped; its absence is said, not hidden (the tests need it).
ensure_postgresql() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432 && return 0
  local version
  version=$(ls /etc/postgresql 2>/dev/null | head -n 1)
  if [ -z "$version" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "Les tests du catalogue utilisent aussi PostgreSQL sur 127.0.0.1:5432 (base « test »," \
        "accès sans mot de passe), introuvable ici : installez-le (apt-get install postgresql)."
    exit 1
  fi
  echo "Démarrage de PostgreSQL $version (arrêté)…"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  say "PostgreSQL $version ne répond pas sur 127.0.0.1:5432 après 30 s : voir son journal" \
      "dans /var/log/postgresql/."
  exit 1
}

pkgs=$(missing_packages)
[ -z "$pkgs" ] || apt_install "$pkgs"
ensure_postgresql
