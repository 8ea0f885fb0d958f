"""The one settings object, read from the environment once per process.

Every environment variable of the README's configuration table is a field of a section
(`settings.sections`); this module reads them, fills the values one section takes from
another (the web server's Rasa address from QP_HOST and RASA_PORT…), and turns pydantic's
errors into one French message. Entry points call `get_settings()` (cached) and pass the
result, or the section a component needs, down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from settings.errors import explain
from settings.sections import (
    LOOPBACK_HOSTS,
    ActionSettings,
    AidesTerritoiresSettings,
    CatalogSettings,
    ClusterSettings,
    ConsoleSettings,
    EventBrokerSettings,
    GeocoderSettings,
    LockStoreSettings,
    NotifySettings,
    ObservabilitySettings,
    RasaSettings,
    RetentionSettings,
    ServerSettings,
    TelegramSettings,
    TrackerSettings,
    WebSettings,
)


def env_name(field: FieldInfo) -> str | None:
    """The environment variable a section's field is read from, if any."""
    extra = field.json_schema_extra
    return str(extra["env"]) if isinstance(extra, dict) and "env" in extra else None


def _is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("secret"))


def sections(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The sections of the settings, by attribute name, in their declared order."""
    found = {}
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            found[name] = field.annotation
    return found


def environment_values(model: type[BaseModel], env: Mapping[str, str]) -> dict[str, Any]:
    """The raw values `env` gives, as {section: {field: text}}. A variable set to nothing
    but spaces counts as unset; the text of a value that is not secret is stripped."""
    values: dict[str, dict[str, str]] = {}
    for section_name, section in sections(model).items():
        for field_name, field in section.model_fields.items():
            name = env_name(field)
            text = env.get(name, "") if name else ""
            if text.strip():
                values.setdefault(section_name, {})[field_name] = (
                    text if _is_secret(field) else text.strip()
                )
    return values


# The mapping `Settings.from_env` reads instead of the process's environment.
_GIVEN_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("environment", default=None)


class _Environment(PydanticBaseSettingsSource):
    """pydantic-settings source: the flat, documented variable names mapped to the sections."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every section at once

    def __call__(self) -> dict[str, Any]:
        given = _GIVEN_ENVIRONMENT.get()
        return environment_values(self.settings_cls, os.environ if given is None else given)


class Settings(BaseSettings):
    """Every setting of the project, by component."""

    model_config = SettingsConfigDict(extra="forbid")

    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    servers: ServerSettings = Field(default_factory=ServerSettings)
    rasa: RasaSettings = Field(default_factory=RasaSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    lock_store: LockStoreSettings = Field(default_factory=LockStoreSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    event_broker: EventBrokerSettings = Field(default_factory=EventBrokerSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    geocoder: GeocoderSettings = Field(default_factory=GeocoderSettings)
    aides_territoires: AidesTerritoiresSettings = Field(default_factory=AidesTerritoiresSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _Environment(settings_cls))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """The settings `env` describes (no other source), or a French `SettingsError`."""
        token = _GIVEN_ENVIRONMENT.set(env)
        try:
            return cls()
        except ValidationError as error:
            raise explain(error, cls) from None
        finally:
            _GIVEN_ENVIRONMENT.reset(token)

    @model_validator(mode="after")
    def _fill_derived_values(self) -> Settings:
        """The values a section takes from another, unless given for that section."""

        def fill(section: BaseModel, name: str, value: Any) -> None:
            if name not in section.model_fields_set:
                setattr(section, name, value)

        servers = self.servers
        fill(self.rasa, "url", servers.rasa_url)
        fill(self.tracker, "url", f"sqlite:///{self.tracker.db.resolve()}")
        if not self.event_broker.url:  # a default for each mode: a file next to the tracker's
            self.event_broker.url = (
                "amqp://guest:guest@127.0.0.1:5672/"
                if self.event_broker.mode == "pika"
                else f"sqlite:///{(self.tracker.db.parent / 'events.sqlite').resolve()}"
            )
        fill(self.web, "host", servers.host)
        fill(self.web, "port", servers.web_port)
        fill(self.web, "rasa_url", servers.rasa_url)
        fill(self.web, "origins", self.rasa.cors_origins)
        public_host = "localhost" if servers.host in ("0.0.0.0", "::") else servers.host
        fill(self.web, "public_url", f"http://{public_host}:{servers.web_port}")
        fill(self.console, "database_url", self.catalog.database_url)
        fill(self.console, "rasa_url", self.rasa.url.rstrip("/"))
        fill(self.console, "url", f"http://localhost:{servers.web_port}")
        fill(self.telegram, "rasa_url", self.rasa.url.rstrip("/"))
        fill(self.notify, "console_url", self.console.url)
        if self.notify.enabled and not self.notify.smtp_from.strip():
            raise ValueError(
                "QP_SMTP_HOST est défini mais pas QP_SMTP_FROM : indiquez l'adresse "
                "d'expéditeur des e-mails aux conseillers"
            )
        if self.console.http_local and servers.host not in LOOPBACK_HOSTS:
            raise ValueError(
                "QP_CONSOLE_HTTP_LOCAL=1 (console en HTTP simple, cookie de session sans "
                "« Secure ») n'est permis que pour un serveur qui n'écoute que sur cette "
                f"machine ; or QP_HOST={servers.host}. Servez la console derrière HTTPS et "
                "retirez QP_CONSOLE_HTTP_LOCAL"
            )
        return self


def settings_with(**overrides: str) -> Settings:
    """The environment's settings with some variables replaced, as a process started with
    them would read it (the runner's free ports, a temporary tracker store); an empty value
    unsets a variable."""
    return Settings.from_env({**os.environ, **overrides})


def child_environment(values: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child process: this one's, with `values` written over it (the
    settings the child must share with us, and what Rasa's YAML files interpolate)."""
    return {**os.environ, **values}


@cache
def get_settings() -> Settings:
    """The process's settings, read from the environment at the first call.

    Raises `SettingsError` (French) when a variable holds a wrong value. Tests that change the
    environment call `get_settings.cache_clear()` (tests/conftest.py does it around each test).
    """
    return Settings.from_env(os.environ)
