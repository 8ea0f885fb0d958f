"""compose.yaml and its Dockerfiles describe the cluster of `make run-cluster`.

No image can be built here (the machine reaches no container registry), so this checks what
can be checked without Docker: the compose file's services, health checks and start order;
that each image installs the lock file of its Python; that every file the Dockerfiles copy
exists; that the settings the containers get are real settings; that the balancer's
configuration is valid for HAProxy and balances as bot/haproxy.py does; and that its French
error answers are those of bot/haproxy.py.
"""

from __future__ import annotations

import re
import subprocess

import yaml
from conftest import PROJECT_DIR

from bot.cluster import haproxy_command
from bot.haproxy import ERRORS, error_response
from settings import Settings, settings_with
from settings.root import env_name, sections

COMPOSE = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text(encoding="utf-8"))
DOCKER = PROJECT_DIR / "docker"
LONG_RUNNING = {"postgres", "redis", "actions", "rasa", "haproxy", "web"}


def dockerfile(name: str) -> str:
    return (DOCKER / name).read_text(encoding="utf-8")


def test_every_long_running_service_has_a_health_check_and_starts_in_order():
    services = COMPOSE["services"]
    assert set(services) == LONG_RUNNING | {"init", "telegram"}
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name
    rasa = services["rasa"]
    assert rasa["deploy"]["replicas"] >= 2
    assert services["actions"]["deploy"]["replicas"] >= 2
    assert rasa["depends_on"] == {
        "init": {"condition": "service_completed_successfully"},
        "redis": {"condition": "service_healthy"},
        "actions": {"condition": "service_healthy"},
    }
    assert services["haproxy"]["depends_on"] == {"rasa": {"condition": "service_healthy"}}
    assert "qp run --print-env > /run/qp/rasa.env" in " ".join(services["init"]["command"])
    assert ". /run/qp/rasa.env" in " ".join(rasa["command"])


def test_the_images_install_their_own_python_and_lock_file():
    rasa, app = dockerfile("rasa.Dockerfile"), dockerfile("app.Dockerfile")
    assert re.search(r"^FROM python:3\.10-", rasa, re.MULTILINE)
    assert "pip install --no-cache-dir -r requirements/rasa.lock" in rasa
    assert re.search(r"^FROM python:3\.11-", app, re.MULTILINE)
    assert "pip install --no-cache-dir -r requirements/app.lock" in app
    assert "apt-get install -y --no-install-recommends haproxy" in dockerfile("haproxy.Dockerfile")


def test_every_copied_file_exists():
    for name in ("rasa.Dockerfile", "app.Dockerfile", "haproxy.Dockerfile"):
        for line in dockerfile(name).splitlines():
            if line.startswith("COPY "):
                sources = line.split()[1:-1]
                for source in sources:
                    if source.startswith("models/"):
                        continue  # the model is built by `make train` before `docker compose`
                    assert (PROJECT_DIR / source).exists(), f"{name} : {source}"


def test_the_containers_get_real_settings():
    known = {env_name(f) for s in sections(Settings).values() for f in s.model_fields.values()}
    given = COMPOSE["x-settings"]
    assert set(given) <= known, set(given) - known
    # the values parse (interpolations replaced by examples)
    values = {name: re.sub(r"\$\{[^}]*\}", "exemple", str(value)) for name, value in given.items()}
    values["QP_WEB_RASA_URL"] = "http://localhost:5005"
    values["QP_WEB_ORIGINS"] = ""
    values["QP_GEOCODER_URL"] = "off"
    settings = Settings.from_env(values)  # only what compose gives
    assert settings.lock_store.shared
    assert settings.tracker.url.startswith("postgresql+psycopg://")


def test_the_balancer_is_valid_and_balances_like_make_run_cluster(tmp_path):
    from bot.haproxy import config_text

    config = (DOCKER / "haproxy.cfg").read_text(encoding="utf-8")
    local = config_text(settings_with(), tmp_path)

    def rules(text: str, backend: str) -> list[str]:
        block = text.split(f"backend {backend}\n", 1)[1].split("\n\n", 1)[0]
        return [line.strip() for line in block.splitlines() if "server" not in line]

    for backend in ("rasa_rest", "rasa_socketio"):
        assert rules(config, backend) == rules(local, backend), backend
    # HAProxy itself checks the file (Docker's resolver and the errorfiles' paths made local)
    checked = tmp_path / "haproxy.cfg"
    checked.write_text(
        config.replace("127.0.0.11:53", "127.0.0.1:53").replace(
            "/usr/local/etc/haproxy/errors", str(DOCKER / "errors")
        )
    )
    haproxy = haproxy_command(settings_with())
    assert haproxy, "HAProxy manque : make test l'installe (scripts/system-deps.sh)"
    result = subprocess.run(
        [haproxy, "-c", "-f", str(checked)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_error_answers_are_the_french_ones_of_bot_haproxy():
    for status in ERRORS:
        assert (DOCKER / "errors" / f"{status}.http").read_bytes() == error_response(status)
