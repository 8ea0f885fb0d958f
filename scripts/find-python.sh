#!/usr/bin/env bash
# Print the path of a Python interpreter of the asked minor version range, or fail with one
# clear sentence. Usage: find-python.sh 3.10        (exactly 3.10, for Rasa)
#                        find-python.sh 3.11+       (3.11 or newer, for our code)
set -u
want="$1"
works() { "$1" -c 'import sys, venv' >/dev/null 2>&1; }
version_ok() {
  local v; v=$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || return 1
  case "$want" in
    3.10) [ "$v" = "3.10" ] ;;
    3.11+) [ "${v%%.*}" -eq 3 ] && [ "${v#*.}" -ge 11 ] ;;
  esac
}
candidates=()
if [ "$want" = "3.10" ]; then
  candidates+=("$(command -v python3.10 2>/dev/null)")
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for dir in "$root"/versions/3.10*; do candidates+=("$dir/bin/python3.10"); done
  fi
  for dir in "$HOME"/.pyenv/versions/3.10*; do candidates+=("$dir/bin/python3.10"); done
else
  for minor in 13 12 11; do candidates+=("$(command -v python3.$minor 2>/dev/null)"); done
  candidates+=("$(command -v python3 2>/dev/null)")
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for dir in "$root"/versions/3.1[1-3]*; do candidates+=("$dir/bin/python3"); done
  fi
fi
for python in "${candidates[@]}"; do
  if [ -n "$python" ] && [ -x "$python" ] && works "$python" && version_ok "$python"; then
    echo "$python"; exit 0
  fi
done
if [ "$want" = "3.10" ]; then
  echo "Python 3.10 est introuvable (Rasa 3.6 en a besoin) : installez-le, par exemple avec « pyenv install 3.10.13 », puis relancez « make setup »." >&2
else
  echo "Python 3.11 ou plus récent est introuvable : installez-le (par exemple « pyenv install 3.11.7 »), puis relancez « make setup »." >&2
fi
exit 1
