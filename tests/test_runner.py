"""How `make run` starts Rasa: the command line as Rasa's own argument parser reads it."""

from __future__ import annotations

import json
import subprocess

from bot.runner import Stack
from settings import PROJECT_DIR, get_settings

# Rasa's own parser (rasa/__main__.py), in Rasa's Python: what `rasa run` would receive.
PARSE = """
import json, sys
from rasa.__main__ import create_argument_parser
arguments = create_argument_parser().parse_args(sys.argv[1:])
print(json.dumps({"jwt_secret": arguments.jwt_secret, "port": arguments.port}))
"""


def test_an_api_key_beginning_with_a_dash_reaches_rasa_whole(monkeypatch):
    """A derived key is URL-safe base64: one in 64 begins with « - ». Given as a separate
    argument, argparse read it as an option and Rasa stopped (« --jwt-secret: expected one
    argument »), for good, since the server secret the key comes from is kept."""
    key = "-Xy_dérivée-de-la-clé"
    monkeypatch.setenv("QP_RASA_API_KEY", key)
    monkeypatch.setenv("RASA_PORT", "5999")
    settings = get_settings()
    [rasa, *arguments] = Stack(settings).rasa_command()
    python = PROJECT_DIR / ".venv-rasa" / "bin" / "python"
    assert rasa == str(settings.rasa.bin)
    parsed = subprocess.run(
        [str(python), "-c", PARSE, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    assert json.loads(parsed.stdout.splitlines()[-1]) == {"jwt_secret": key, "port": 5999}
