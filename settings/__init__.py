"""The project's settings: one object, read from the environment variables once per process.

`get_settings()` gives the settings of the running process (cached); `Settings.from_env(env)`
reads a given mapping (tests, child processes). Sections per component (`catalog`,
`servers`, `rasa`, `tracker`, `lock_store`, `cluster`, `event_broker`, `actions`, `web`,
`console`, `telegram`, `notify`, `observability`, `retention`, `geocoder`,
`aides_territoires`) are passed down to the code that needs them. This is the only module of
the project that reads the environment (tests/test_settings.py checks it); every package may
import it, and it imports nothing of ours but `catalog.profile`'s territory list, late.
"""

from settings.errors import SettingsError
from settings.root import Settings, child_environment, get_settings, settings_with
from settings.sections import (
    PROJECT_DIR,
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
    RetryPolicy,
    ServerSettings,
    TelegramSettings,
    TrackerSettings,
    WebSettings,
    parse_origins,
)

__all__ = [
    "PROJECT_DIR",
    "ActionSettings",
    "AidesTerritoiresSettings",
    "CatalogSettings",
    "ClusterSettings",
    "ConsoleSettings",
    "EventBrokerSettings",
    "GeocoderSettings",
    "LockStoreSettings",
    "NotifySettings",
    "ObservabilitySettings",
    "RasaSettings",
    "RetentionSettings",
    "RetryPolicy",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TelegramSettings",
    "TrackerSettings",
    "WebSettings",
    "child_environment",
    "get_settings",
    "parse_origins",
    "settings_with",
]
