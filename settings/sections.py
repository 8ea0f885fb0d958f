"""The sections of the settings, one per component, each field tied to its environment variable.

`variable()` declares a field read from one environment variable (its public name, listed in
the README's configuration table) with a French description and, when the default depends on
other values, the French text the table shows for it. Fields declared with plain pydantic
`Field`s are not read from the environment: they are copied from other sections by
`settings.root.Settings` (so that each component gets one self-contained section) or are
fixed policies that tests may change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
YES = {"1", "true", "oui", "yes", "on"}
NO = {"0", "false", "non", "no", "off"}


def utc_now() -> datetime:
    return datetime.now(UTC)


def variable(
    name: str,
    default: Any,
    description: str,
    *,
    shown_default: str | None = None,
    secret: bool = False,
    **constraints: Any,
) -> Any:
    """A field read from the environment variable `name`.

    `shown_default` is what the README says of the default when it is not a literal value
    (a path relative to the project, or a value computed from other variables)."""
    extra: dict[str, Any] = {"env": name, "secret": secret}
    if shown_default is not None:
        extra["shown_default"] = shown_default
    return Field(
        default, description=description, json_schema_extra=extra, repr=not secret, **constraints
    )


def parse_origins(value: object) -> tuple[str, ...]:
    """Comma-separated origins ("https://www.ville.fr, http://localhost:8080") as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    return tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())


def _yes_no(value: object) -> object:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES:
            return True
        if word in NO:
            return False
        raise ValueError("répondez 1, true ou oui (activé), 0, false ou non (désactivé)")
    return value


def _territory(value: object) -> object:
    from catalog.profile import TERRITORY_IDS  # stdlib only; imported late, catalog uses us

    if isinstance(value, str):
        value = value.strip().lower() or None
        if value is not None and value not in TERRITORY_IDS:
            raise ValueError(
                f"« {value} » n'est pas un territoire ; valeurs possibles : "
                f"{', '.join(TERRITORY_IDS)}"
            )
    return value


Origins = Annotated[tuple[str, ...], BeforeValidator(parse_origins)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError("un numéro de port entre 1 et 65535 est attendu")
    return value


Port = Annotated[int, AfterValidator(_port)]


class Section(BaseModel):
    """A component's settings: built by `Settings`, or directly by tests with keywords."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class CatalogSettings(Section):
    """Catalogue"""

    database_url: str = variable(
        "DATABASE_URL",
        f"sqlite:///{PROJECT_DIR / 'var' / 'catalog.sqlite'}",
        "base du catalogue, des comptes et des demandes de contact, toute URL SQLAlchemy ; "
        "par exemple `postgresql+psycopg://…`",
        shown_default="sqlite:///var/catalog.sqlite",
    )
    data_dir: Path = variable(
        "QP_CATALOG_DIR",
        PROJECT_DIR / "catalog" / "data",
        "dossier des fichiers du catalogue",
        shown_default="catalog/data",
    )


class ServerSettings(Section):
    """Serveurs démarrés par `make run`"""

    host: str = variable("QP_HOST", "127.0.0.1", "interface d'écoute des serveurs", min_length=1)
    rasa_port: Port = variable("RASA_PORT", 5005, "port du serveur Rasa")
    action_port: Port = variable("ACTION_PORT", 5055, "port du serveur d'actions")
    web_port: Port = variable(
        "WEB_PORT",
        8080,
        "port du serveur web du widget, de la page de démonstration et de la console",
    )
    log_dir: Path = variable(
        "QP_LOG_DIR",
        PROJECT_DIR / "var" / "log",
        "journaux des processus",
        shown_default="var/log",
    )
    ready_timeout: float = variable(
        "QP_READY_TIMEOUT", 300.0, "délai d'attente du démarrage, en secondes", gt=0
    )
    # The action server's own interface, not QP_HOST: it must stay on a private network.
    action_host: str = variable(
        "QP_ACTION_HOST",
        "127.0.0.1",
        "interface d'écoute du serveur d'actions, à garder sur un réseau privé ; il exige de "
        "toute façon le jeton que Rasa lui envoie",
        min_length=1,
    )
    # bot/keys.py: the master secret and the keys derived from it (docs/architecture.md).
    secret: str = variable(
        "QP_SERVER_SECRET",
        "",
        "secret dont sont dérivés le secret du canal REST, la clé des sessions du widget, la clé "
        "des identifiants Telegram, le jeton du serveur d'actions, la clé de l'API de Rasa et "
        "celle des liens de l'observatoire ; chacun peut aussi être donné à part (variables "
        "suivantes)",
        shown_default="tiré au hasard une fois et gardé dans `var/server-secret`",
        secret=True,
    )
    rest_secret: str = variable(
        "QP_REST_SECRET",
        "",
        "secret exigé par le canal REST de Rasa (en-tête `X-QP-Channel-Secret`)",
        shown_default="dérivé de QP_SERVER_SECRET",
        secret=True,
    )
    widget_session_key: str = variable(
        "QP_WIDGET_SESSION_KEY",
        "",
        "clé qui signe les sessions du widget (serveur web) et les vérifie (Rasa)",
        shown_default="dérivée de QP_SERVER_SECRET",
        secret=True,
    )
    telegram_id_key: str = variable(
        "QP_TELEGRAM_ID_KEY",
        "",
        "clé des identifiants de conversation Telegram (empreintes des identifiants de discussion)",
        shown_default="dérivée de QP_SERVER_SECRET",
        secret=True,
    )
    action_token: str = variable(
        "QP_ACTION_TOKEN",
        "",
        "jeton exigé par le serveur d'actions (en-tête `X-QP-Action-Token`, envoyé par Rasa)",
        shown_default="dérivé de QP_SERVER_SECRET",
        secret=True,
    )
    rasa_api_key: str = variable(
        "QP_RASA_API_KEY",
        "",
        "clé des jetons (JWT) exigés par l'API HTTP de Rasa, par laquelle la console lit les "
        "conversations (`rasa run --jwt-secret`)",
        shown_default="dérivée de QP_SERVER_SECRET",
        secret=True,
    )
    link_key: str = variable(
        "QP_LINK_KEY",
        "",
        "clé qui scelle, dans l'observatoire, l'identifiant d'une conversation pour que la "
        "console puisse l'ouvrir depuis sa liste",
        shown_default="dérivée de QP_SERVER_SECRET",
        secret=True,
    )

    @property
    def rasa_url(self) -> str:
        """Where the runner starts Rasa and checks that it answers."""
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """The action server as Rasa reaches it."""
        host = "127.0.0.1" if self.action_host in {"0.0.0.0", "::"} else self.action_host
        return f"http://{host}:{self.action_port}/webhook"


class RasaSettings(Section):
    """Rasa"""

    bin: Path = variable(
        "RASA_BIN",
        PROJECT_DIR / ".venv-rasa" / "bin" / "rasa",
        "commande `rasa`",
        shown_default=".venv-rasa/bin/rasa",
    )
    model: Path = variable(
        "RASA_MODEL",
        PROJECT_DIR / "models" / "assistant.tar.gz",
        "modèle entraîné",
        shown_default="models/assistant.tar.gz",
    )
    url: str = variable(
        "RASA_URL",
        "",
        "adresse du serveur Rasa vue par la passerelle Telegram et par la console",
        shown_default="http://QP_HOST:RASA_PORT",
    )
    cors_origins: Origins = variable(
        "QP_CORS_ORIGINS",
        (),
        "origines autorisées à appeler Rasa depuis un navigateur, séparées par des virgules",
        shown_default="aucune",
    )
    baseline_dir: Path = variable(
        "QP_BASELINE_DIR",
        PROJECT_DIR.parent / "shared" / "baseline" / "stock-rasa",
        "bot de référence Rasa « de série » que `make bench` sert à côté du nôtre pour comparer",
        shown_default="../shared/baseline/stock-rasa",
    )

    @field_validator("url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class TrackerSettings(Section):
    """Conversations (stockage de Rasa)"""

    db: Path = variable(
        "TRACKER_DB",
        PROJECT_DIR / "var" / "tracker.sqlite",
        "fichier SQLite des conversations, quand `QP_TRACKER_URL` est vide",
        shown_default="var/tracker.sqlite",
    )
    url: str = variable(
        "QP_TRACKER_URL",
        "",
        "stockage des conversations, donné à Rasa par `endpoints.yml` ; seul `qp purge` y "
        "touche à part Rasa (effacements, durées de conservation) : toute URL SQLAlchemy, par "
        "exemple `postgresql+psycopg://…`",
        shown_default="sqlite:///TRACKER_DB",
    )


class LockStoreSettings(Section):
    """Verrou des conversations (plusieurs processus Rasa)"""

    # Rasa's lock store (endpoints.yml `lock_store`): one turn at a time per conversation,
    # across every Rasa process that shares the tracker store.
    url: str = variable(
        "QP_LOCK_STORE_URL",
        "",
        "verrou qui fait passer les messages d'une conversation un par un, partagé par tous les "
        "processus Rasa : `redis://[:mot-de-passe@]hôte:port/numéro-de-base` (le `RedisLockStore` "
        "de Rasa) ; vide : en mémoire, pour un seul processus Rasa (`make run`)",
        shown_default="vide",
    )
    prefix: str = variable(
        "QP_LOCK_STORE_PREFIX",
        "qp",
        "préfixe des clés du verrou dans Redis (lettres et chiffres seulement)",
        pattern=r"^[A-Za-z0-9]+$",
    )
    lifetime: int = variable(
        "QP_LOCK_LIFETIME",
        60,
        "durée de vie d'un verrou, en secondes : si un processus Rasa meurt pendant un message, "
        "sa conversation attend au plus ce temps avant de reprendre ailleurs",
        ge=5,
    )

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlsplit(value).scheme != "redis":
            raise ValueError(
                "une adresse `redis://hôte:port/numéro-de-base` est attendue (Rasa ne sait pas "
                "ouvrir le verrou en TLS depuis ce réglage : `rediss://` n'est pas accepté)"
            )
        if value:
            parts = urlsplit(value)
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                raise ValueError("le port de l'adresse Redis n'est pas un nombre") from None
            database = parts.path.strip("/") or "0"
            if not database.isdigit():
                raise ValueError("le numéro de base Redis (après le dernier « / ») est un nombre")
        return value

    @property
    def shared(self) -> bool:
        """A lock store several Rasa processes share (Redis), not the in-memory default."""
        return bool(self.url)

    def endpoint_values(self) -> dict[str, str]:
        """The values endpoints.yml's `lock_store` reads (QP_LOCK_STORE_*): Rasa's own
        `in_memory` or `redis` store and the parts of the Redis URL."""
        if not self.url:
            return {
                "QP_LOCK_STORE_TYPE": "in_memory",
                "QP_LOCK_STORE_HOST": "",
                "QP_LOCK_STORE_PORT": "6379",
                "QP_LOCK_STORE_DB": "0",
                "QP_LOCK_STORE_PASSWORD": "",
                "QP_LOCK_STORE_PREFIX": self.prefix,
            }
        parts = urlsplit(self.url)
        return {
            "QP_LOCK_STORE_TYPE": "redis",
            "QP_LOCK_STORE_HOST": parts.hostname or "localhost",
            "QP_LOCK_STORE_PORT": str(parts.port or 6379),
            "QP_LOCK_STORE_DB": parts.path.strip("/") or "0",
            "QP_LOCK_STORE_PASSWORD": parts.password or "",
            "QP_LOCK_STORE_PREFIX": self.prefix,
        }


class ClusterSettings(Section):
    """Plusieurs processus Rasa derrière un répartiteur (`make run-cluster`)"""

    replicas: int = variable(
        "QP_CLUSTER_REPLICAS",
        2,
        "nombre de processus Rasa (et d'autant de serveurs d'actions) ; le répartiteur HAProxy "
        "les sert sur `RASA_PORT`",
        ge=1,
        le=32,
    )
    rasa_port: Port = variable(
        "QP_CLUSTER_RASA_PORT",
        5101,
        "port du premier processus Rasa ; les suivants prennent les ports qui suivent",
    )
    action_port: Port = variable(
        "QP_CLUSTER_ACTION_PORT",
        5151,
        "port du premier serveur d'actions ; les suivants prennent les ports qui suivent",
    )
    haproxy: str = variable(
        "QP_HAPROXY_BIN",
        "haproxy",
        "commande du répartiteur HAProxy (paquet Debian `haproxy`)",
        min_length=1,
    )

    @model_validator(mode="after")
    def _ports_fit(self) -> ClusterSettings:
        for name, first in (
            ("QP_CLUSTER_RASA_PORT", self.rasa_port),
            ("QP_CLUSTER_ACTION_PORT", self.action_port),
        ):
            if first + self.replicas - 1 > 65535:
                raise ValueError(f"{name} + QP_CLUSTER_REPLICAS dépasse le port 65535")
        rasa = set(range(self.rasa_port, self.rasa_port + self.replicas))
        if rasa & set(range(self.action_port, self.action_port + self.replicas)):
            raise ValueError(
                "les ports des processus Rasa et ceux des serveurs d'actions se chevauchent "
                "(QP_CLUSTER_RASA_PORT, QP_CLUSTER_ACTION_PORT, QP_CLUSTER_REPLICAS)"
            )
        return self


class EventBrokerSettings(Section):
    """Observatoire (événements publiés par Rasa)"""

    mode: str = variable(
        "QP_EVENT_BROKER",
        "sql",
        "où Rasa publie chaque événement des conversations, que l'observatoire relit : `sql` "
        "(une base SQL, SQLite par défaut), `pika` (RabbitMQ) ou `off` (ni publication ni "
        "observatoire)",
    )
    url: str = variable(
        "QP_EVENT_BROKER_URL",
        "",
        "base des événements (`sql` : toute URL SQLAlchemy) ou serveur RabbitMQ "
        "(`pika` : `amqp://utilisateur:mot_de_passe@hôte:5672/`)",
        shown_default="sqlite:///var/events.sqlite (dossier de TRACKER_DB) ; "
        "`pika` : amqp://guest:guest@127.0.0.1:5672/",
    )
    queue: str = variable(
        "QP_EVENT_BROKER_QUEUE",
        "qp_observatoire",
        "file RabbitMQ où Rasa publie et que l'observatoire lit (`pika`)",
        min_length=1,
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _known_mode(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in ("sql", "pika", "off"):
                raise ValueError("valeurs possibles : sql, pika ou off")
        return value

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


class ActionSettings(Section):
    """Serveur d'actions"""

    max_questions: int = variable(
        "QP_MAX_QUESTIONS", 4, "nombre maximal de questions avant les premiers résultats", ge=0
    )


class WebSettings(Section):
    """Serveur web (widget et page de démonstration)"""

    host: str = Field(default="127.0.0.1", description="QP_HOST")
    port: Port = Field(default=8080, description="WEB_PORT")
    # The Rasa server as the visitor's browser reaches it (socket.io), not as we do.
    rasa_url: str = variable(
        "QP_WEB_RASA_URL",
        "http://127.0.0.1:5005",
        "adresse du serveur Rasa vue des navigateurs",
        shown_default="http://QP_HOST:RASA_PORT",
    )
    # Websites allowed to embed the widget (besides this server's own demo page).
    origins: Origins = variable(
        "QP_WEB_ORIGINS",
        (),
        "sites autorisés à intégrer le widget, séparés par des virgules ; la page de "
        "démonstration est toujours autorisée",
        shown_default="QP_CORS_ORIGINS",
    )
    # The pilot territory the demo website preselects (an id of catalog/data/territories.yml).
    demo_territory: Annotated[str, BeforeValidator(_territory)] = variable(
        "QP_WEB_DEMO_TERRITORY", "roubaix", "territoire présélectionné par la page de démonstration"
    )
    # The web server as people reach it: the links to « Ma fiche » (bot/web/fiche.py) start so.
    public_url: str = variable(
        "QP_PUBLIC_URL",
        "",
        "adresse publique du serveur web, début des liens « Ma fiche » envoyés aux personnes",
        shown_default="http://QP_HOST:WEB_PORT",
    )
    # New widget sessions (conversations) per minute (bot/web/ratelimit.py).
    sessions_per_minute: int = variable(
        "QP_WIDGET_SESSIONS_PER_MINUTE",
        30,
        "nouvelles conversations du widget par minute et par adresse",
        ge=1,
    )
    sessions_per_minute_overall: int = variable(
        "QP_WIDGET_SESSIONS_PER_MINUTE_TOTAL",
        600,
        "nouvelles conversations du widget par minute, toutes adresses confondues",
        ge=1,
    )

    @field_validator("rasa_url", "public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def own_origins(self) -> tuple[str, ...]:
        """This server's origins as a local browser writes them (the demo page's origin)."""
        names = {self.host, "localhost", "127.0.0.1"} - {"0.0.0.0", "::"}
        return tuple(f"http://{name}:{self.port}" for name in sorted(names))

    @property
    def socketio_origins(self) -> tuple[str, ...]:
        """Origins the Rasa socket.io channel must accept: the embedding sites and the demo."""
        return tuple(dict.fromkeys(self.origins + self.own_origins))

    @property
    def rasa_websocket_url(self) -> str:
        parts = urlsplit(self.rasa_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}"


class ConsoleSettings(Section):
    """Console des conseillers"""

    # Copied from the catalogue and Rasa sections: what the console reads (a transcript through
    # Rasa's HTTP API, never from Rasa's database).
    database_url: str = Field(default=CatalogSettings().database_url)
    rasa_url: str = Field(default="http://127.0.0.1:5005")
    secret: str = variable(
        "QP_CONSOLE_SECRET",
        "",
        "clé qui signe les cookies de session de la console",
        shown_default="tirée au hasard une fois et gardée dans `var/console-secret`",
        secret=True,
    )
    # The session cookie is Secure (HTTPS only) unless explicitly served in plain HTTP on this
    # machine for development; Settings refuses it when the servers listen beyond loopback.
    http_local: YesNo = variable(
        "QP_CONSOLE_HTTP_LOCAL",
        False,
        "`1` : console servie en HTTP simple sur cette machine, pour le développement ; le "
        "cookie de session perd `Secure` (refusé si `QP_HOST` n'est pas `127.0.0.1`, "
        "`localhost` ou `::1`). Par défaut, le cookie n'est envoyé qu'en HTTPS — Chromium "
        "l'accepte aussi sur `http://localhost`",
        shown_default="0",
    )
    session_hours: int = variable(
        "QP_CONSOLE_SESSION_HOURS",
        8,
        "durée maximale d'une session de la console depuis la connexion, en heures",
        ge=1,
    )
    idle_minutes: int = variable(
        "QP_CONSOLE_IDLE_MINUTES",
        60,
        "une session de la console se ferme après ce temps sans requête, en minutes",
        ge=1,
    )
    rate_limit_url: str = variable(
        "QP_RATE_LIMIT_URL",
        "",
        "compteurs des limites de connexion partagés entre processus : `redis://…` ; vide : "
        "la base du catalogue",
        shown_default="vide",
    )
    signin_per_ip: int = variable(
        "QP_SIGNIN_LIMIT_IP",
        20,
        "essais de connexion à la console permis par quart d'heure et par adresse IP (réseau "
        "/64 en IPv6)",
        ge=1,
    )
    signin_per_account: int = variable(
        "QP_SIGNIN_LIMIT_ACCOUNT",
        5,
        "essais de connexion à la console permis par quart d'heure et par adresse e-mail",
        ge=1,
    )
    signin_global: int = variable(
        "QP_SIGNIN_LIMIT_GLOBAL",
        300,
        "essais de connexion permis par quart d'heure pour toute la console",
        ge=1,
    )
    # Password checks (Argon2: 64 MiB and ~50 ms each) running at once in one process.
    concurrent_hashes: int = Field(default=2, ge=1)
    # The time (UTC); tests give a clock they control.
    clock: Callable[[], datetime] = Field(default=utc_now, exclude=True, repr=False)

    @property
    def secure_cookie(self) -> bool:
        return not self.http_local

    url: str = variable(
        "QP_CONSOLE_URL",
        "",
        "adresse de la console citée par `qp flows test --url` pour relire une conversation, "
        "et par les e-mails aux conseillers (liens vers les demandes)",
        shown_default="http://localhost:WEB_PORT",
    )
    new_password: str = variable(
        "QP_NEW_PASSWORD",
        "",
        "mot de passe lu par `qp console add-account` et `set-password`",
        shown_default="demandé au clavier",
        secret=True,
    )

    @field_validator("rasa_url", "url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class RetryPolicy(BaseModel):
    """How the Telegram bridge retries messages Rasa could not take."""

    model_config = ConfigDict(frozen=True)

    initial_delay: float = 1.0  # seconds before the first retry
    max_delay: float = 60.0  # the delay doubles up to this
    max_age: float = 24 * 3600.0  # a message older than this is given up (user asked to resend)


class TelegramSettings(Section):
    """Passerelle Telegram"""

    token: str = variable(
        "TELEGRAM_BOT_TOKEN",
        "",
        "jeton du bot donné par @BotFather ; s'il est défini, `make run` démarre aussi la "
        "passerelle Telegram",
        shown_default="aucun",
        secret=True,
    )
    territory: Annotated[str | None, BeforeValidator(_territory)] = variable(
        "TELEGRAM_TERRITORY",
        None,
        "bot propre à un territoire (id, par exemple `roubaix`) : ses conversations sont rangées "
        "sous ce territoire dans la console",
        shown_default="aucun",
    )
    webhook_url: str | None = variable(
        "TELEGRAM_WEBHOOK_URL",
        None,
        "adresse publique HTTPS du webhook ; vide : la passerelle interroge Telegram (polling)",
        shown_default="vide",
    )
    webhook_secret: str = variable(
        "TELEGRAM_WEBHOOK_SECRET",
        "",
        "secret exigé dans l'en-tête `X-Telegram-Bot-Api-Secret-Token` des requêtes du webhook "
        "(1 à 256 caractères parmi A-Z, a-z, 0-9, `_` et `-`)",
        shown_default="tiré au hasard à chaque démarrage",
        secret=True,
    )
    webhook_listen: str = variable(
        "TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1", "interface d'écoute du webhook", min_length=1
    )
    webhook_port: Port = variable("TELEGRAM_WEBHOOK_PORT", 8443, "port local du webhook")
    api_base_url: str = variable(
        "TELEGRAM_API_BASE_URL",
        "https://api.telegram.org",
        "adresse de l'API des bots Telegram, pour les tests ou un serveur Bot API local",
        min_length=1,
    )
    state_db: Path = variable(
        "TELEGRAM_STATE_DB",
        PROJECT_DIR / "var" / "telegram.sqlite",
        "état de la passerelle : messages en attente de Rasa, boutons envoyés",
        shown_default="var/telegram.sqlite",
    )
    rasa_url: str = Field(
        default="http://127.0.0.1:5005"
    )  # copied from the Rasa section (RASA_URL)
    poll_timeout: float = 10.0  # long-polling wait of getUpdates, in seconds
    rasa_timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy()

    @field_validator("token", "webhook_secret")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _valid_secret(cls, value: str) -> str:
        if value and not TELEGRAM_SECRET.fullmatch(value):
            raise ValueError("1 à 256 caractères parmi A-Z, a-z, 0-9, « _ » et « - »")
        return value

    @field_validator("rasa_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def for_the_bridge(self) -> TelegramSettings:
        """These settings checked for starting the bridge: a token, and in webhook mode a
        secret (a new random one at each start when none is given, handed to setWebhook)."""
        from settings.errors import SettingsError

        if not self.token.strip():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN n'est pas défini : créez un bot avec @BotFather et copiez "
                "son jeton dans cette variable."
            )
        if self.webhook_url and not self.webhook_secret:
            return self.model_copy(update={"webhook_secret": secrets.token_urlsafe(32)})
        return self

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to: the path of the public URL (a proxy forwards it as is)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def bot_api_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/bot"

    @property
    def file_api_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/file/bot"


SMTP_SECURITY = ("starttls", "ssl", "none")


def _territory_addresses(value: object) -> object:
    """« roubaix=equipe@ville.fr, toulouse=a@b.fr » as {territory: (addresses…)}."""
    from catalog.profile import TERRITORY_IDS  # stdlib only; imported late, catalog uses us

    if not isinstance(value, str):
        return value
    found: dict[str, tuple[str, ...]] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        territory, equal, address = (text.strip() for text in item.partition("="))
        territory = territory.lower()
        if not equal or territory not in TERRITORY_IDS:
            raise ValueError(
                f"« {item} » : attendu territoire=adresse, le territoire parmi "
                f"{', '.join(TERRITORY_IDS)}"
            )
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            raise ValueError(f"« {address} » n'est pas une adresse e-mail")
        found[territory] = (*found.get(territory, ()), address.lower())
    return found


class NotifySettings(Section):
    """E-mails aux conseillers (`qp notify`, docs/exploitation.md)"""

    smtp_host: str = variable(
        "QP_SMTP_HOST",
        "",
        "serveur SMTP qui envoie les e-mails aux conseillers (nouvelle demande de contact, "
        "synthèse quotidienne) ; vide : aucun e-mail n'est envoyé ni mis en file",
        shown_default="vide (désactivé)",
    )
    smtp_port: Port = variable("QP_SMTP_PORT", 587, "port du serveur SMTP")
    smtp_security: str = variable(
        "QP_SMTP_SECURITY",
        "starttls",
        "chiffrement de la connexion SMTP : `starttls`, `ssl` (SMTPS, port 465 en général) "
        "ou `none` (serveur local seulement)",
    )
    smtp_user: str = variable(
        "QP_SMTP_USER", "", "identifiant SMTP ; vide : pas d'authentification", shown_default="vide"
    )
    smtp_password: str = variable(
        "QP_SMTP_PASSWORD", "", "mot de passe SMTP", shown_default="vide", secret=True
    )
    smtp_from: str = variable(
        "QP_SMTP_FROM",
        "",
        "expéditeur des e-mails, par exemple `Assistant Quartiers productifs "
        "<ne-pas-repondre@exemple.fr>` ; obligatoire si `QP_SMTP_HOST` est défini",
        shown_default="vide",
    )
    smtp_timeout: float = variable(
        "QP_SMTP_TIMEOUT", 10.0, "délai d'attente du serveur SMTP, en secondes", gt=0
    )
    territory_addresses: Annotated[
        dict[str, tuple[str, ...]], BeforeValidator(_territory_addresses)
    ] = variable(
        "QP_NOTIFY_TERRITORY_ADDRESSES",
        {},
        "adresses prévenues en plus des conseillers d'un territoire, par exemple "
        "`roubaix=equipe@ville-roubaix.fr,toulouse=dev-eco@toulouse.fr`",
        shown_default="aucune",
    )
    # Copied from the console section (QP_CONSOLE_URL): the links of the e-mails.
    console_url: str = Field(default="http://localhost:8080")
    send_every_seconds: float = 30.0  # the runner's sender loop

    @field_validator("smtp_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in SMTP_SECURITY:
            raise ValueError(f"valeurs possibles : {', '.join(SMTP_SECURITY)}")
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host.strip())


class ObservabilitySettings(Section):
    """Métriques et journaux (docs/exploitation.md)"""

    metrics_token: str = variable(
        "QP_METRICS_TOKEN",
        "",
        "jeton exigé (en-tête `Authorization: Bearer …`) par `/metrics` du serveur web et du "
        "serveur d'actions pour un appel venu d'une autre machine ; vide : `/metrics` ne "
        "répond qu'aux appels de cette machine (127.0.0.1, ::1)",
        shown_default="vide",
        secret=True,
    )
    log_format: str = variable(
        "QP_LOG_FORMAT",
        "json",
        "format des journaux du serveur web, du serveur d'actions, du consommateur de "
        "l'observatoire et du pont Telegram : `json` (un objet JSON par ligne) ou `text`",
    )

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("json", "text"):
            raise ValueError("valeurs possibles : json, text")
        return value


class RetentionSettings(Section):
    """Durées de conservation des données personnelles (`qp purge`, docs/donnees-personnelles.md)"""

    conversations_days: int = variable(
        "QP_RETENTION_CONVERSATIONS_DAYS",
        180,
        "jours de conservation d'une conversation après son dernier message",
        ge=1,
    )
    leads_days: int = variable(
        "QP_RETENTION_LEADS_DAYS", 365, "jours de conservation d'une demande de rappel", ge=1
    )
    corrections_days: int = variable(
        "QP_RETENTION_CORRECTIONS_DAYS",
        365,
        "jours de conservation d'une correction de compréhension",
        ge=1,
    )
    audit_days: int = variable(
        "QP_RETENTION_AUDIT_DAYS", 365, "jours de conservation d'une entrée du journal", ge=1
    )
    fiches_days: int = variable(
        "QP_RETENTION_FICHES_DAYS",
        30,
        "jours pendant lesquels le lien d'une fiche « Ma fiche » reste ouvert ; elle est "
        "effacée ensuite",
        ge=1,
    )
    telegram_buttons_days: int = variable(
        "QP_RETENTION_TELEGRAM_BUTTONS_DAYS",
        30,
        "jours de conservation des boutons envoyés sur Telegram",
        ge=1,
    )
    telegram_waiting_days: int = variable(
        "QP_RETENTION_TELEGRAM_WAITING_DAYS",
        1,
        "jours de conservation d'un message Telegram en attente de Rasa",
        ge=1,
    )


class GeocoderSettings(Section):
    """Vérification d'adresse (géocodeur)"""

    url: str = variable(
        "QP_GEOCODER_URL",
        "https://data.geopf.fr/geocodage",
        "géocodeur de la vérification d'adresse : le service de géocodage de la Géoplateforme "
        "(IGN), qui sert la Base Adresse Nationale (requêtes `GET /search`) ; "
        "`off` : aucune adresse n'est envoyée, la réponse se fonde sur les noms de lieux et dit "
        "« à vérifier »",
        min_length=1,
    )
    timeout: float = variable(
        "QP_GEOCODER_TIMEOUT",
        3.0,
        "délai d'attente du géocodeur, en secondes ; au-delà, la réponse est « à vérifier »",
        gt=0,
    )

    @property
    def enabled(self) -> bool:
        return self.url.strip().lower() not in ("off", "0", "none")


class AidesTerritoiresSettings(Section):
    """Import depuis Aides-territoires"""

    api_key: str = variable(
        "AIDES_TERRITOIRES_API_KEY",
        "",
        "clé de l'API d'Aides-territoires, pour `qp catalog import aides-territoires --download`",
        shown_default="aucune",
        secret=True,
    )
