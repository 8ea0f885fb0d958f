"""The stock Rasa probe bot, served next to ours by `make bench`: the side-by-side anchor.

The probe (`../shared/baseline/stock-rasa`, or QP_BASELINE_DIR) is a minimal French bot built
the stock Rasa way. It is copied into var/bench/stock-rasa (the original is never written),
given a REST channel and free ports, trained with the project's Rasa runtime only when its
files changed (a digest of them is kept next to the model), and started with its own action
server (rasa-sdk, our runtime). Both bots then get the same closed-loop load (bot/bench.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.runner import StartError, free_port
from settings import PROJECT_DIR, Settings, child_environment

WORK_DIR = PROJECT_DIR / "var" / "bench" / "stock-rasa"
MODEL_NAME = "stock"
INPUTS = ("config.yml", "domain.yml", "data", "actions")


def find(settings: Settings) -> Path | None:
    """The probe's folder, or None when it is not there."""
    folder = settings.rasa.baseline_dir
    return (
        folder if (folder / "config.yml").is_file() and (folder / "domain.yml").is_file() else None
    )


def digest(folder: Path) -> str:
    """A digest of what training and serving the probe read."""
    sha = hashlib.sha256()
    for name in INPUTS:
        path = folder / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                sha.update(str(file.relative_to(folder)).encode())
                sha.update(file.read_bytes())
    return sha.hexdigest()


def _environment() -> dict[str, str]:
    return child_environment(
        {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )


def prepare(source: Path, settings: Settings, work: Path = WORK_DIR) -> Path:
    """Copy the probe into `work` and train it if its files changed; returns the model."""
    work.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if (source / name).is_dir():
            shutil.copytree(source / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif (source / name).exists():
            shutil.copy2(source / name, target)
    (work / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    model = work / "models" / f"{MODEL_NAME}.tar.gz"
    stamp = work / "models" / "inputs.sha256"
    wanted = digest(work)
    if model.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return model
    print("Entraînement du bot de référence (seulement quand ses fichiers changent)…", flush=True)
    with (work / "train.log").open("wb") as log:
        result = subprocess.run(
            [str(settings.rasa.bin), "train", "--fixed-model-name", MODEL_NAME, "--out", "models"],
            cwd=work,
            env=_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0 or not model.exists():
        raise StartError(f"L'entraînement du bot de référence a échoué ; voir {work / 'train.log'}")
    stamp.write_text(wanted + "\n")
    return model


class StockProbe:
    """The probe's Rasa server and action server on free ports; a context manager."""

    def __init__(self, model: Path, settings: Settings, work: Path = WORK_DIR) -> None:
        self.model, self.settings, self.work = model, settings, work
        self.rasa_port, self.action_port = free_port(), free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.rasa_ready_seconds = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def _spawn(self, name: str, command: list[str]) -> None:
        with (self.work / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=self.work,
                env=_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self) -> None:
        (self.work / "endpoints.yml").write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n',
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions"]
        self._spawn("actions", [*command, "-p", str(self.action_port)])
        started = time.monotonic()
        self._spawn(
            "rasa",
            [
                str(self.settings.rasa.bin),
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.rasa_port),
                "--interface",
                "127.0.0.1",
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
        )
        deadline = started + self.settings.servers.ready_timeout
        ready_url = f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/"
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise StartError(
                        f"Le bot de référence ({name}) s'est arrêté ; voir "
                        f"{self.work / (name + '.log')}"
                    )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    self.rasa_ready_seconds = time.monotonic() - started
                    return
            if time.monotonic() > deadline:
                raise StartError("Délai dépassé en attendant le bot de référence")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> StockProbe:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
