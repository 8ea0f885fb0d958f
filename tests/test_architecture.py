"""The boundaries of spec/architecture.md, checked on the code itself."""

import ast

from conftest import PROJECT_DIR

OUR_PACKAGES = ("bot", "catalog", "actions", "adapters", "settings", "tests", "scripts")


def imports_of(package: str, depth: int = 1) -> dict[str, set[str]]:
    """The modules each file of `package` imports, cut to their first `depth` names."""
    found = {}
    for path in (PROJECT_DIR / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {".".join(alias.name.split(".")[:depth]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(".".join(node.module.split(".")[:depth]))
        found[str(path.relative_to(PROJECT_DIR))] = names
    return found


def test_only_the_rasa_extensions_import_rasa():
    """rasa_extensions/ is loaded by Rasa itself (config.yml); nothing else may import it."""
    for package in OUR_PACKAGES:
        for path, names in imports_of(package).items():
            assert "rasa" not in names, f"{path} importe rasa"


def test_the_catalogue_knows_nothing_of_rasa_channels_or_edges():
    for path, names in imports_of("catalog").items():
        assert not names & {"rasa_sdk", "bot", "actions", "adapters", "telegram", "httpx"}, path


def test_actions_do_not_depend_on_the_edges():
    for path, names in imports_of("actions").items():
        assert "bot" not in names, path


def test_nothing_imports_the_rasa_extensions():
    for package in OUR_PACKAGES:
        for path, names in imports_of(package).items():
            assert "rasa_extensions" not in names, path


def test_the_settings_depend_on_none_of_our_packages_but_the_territory_list():
    """Every package reads its settings from `settings/`, so it may import none of them,
    except the list of territory ids it checks values against (catalog.profile, stdlib only)."""
    ours = ("bot", "catalog", "actions", "adapters", "rasa_extensions", "tests", "scripts")
    for path, names in imports_of("settings", depth=2).items():
        mine = {name for name in names if name.split(".")[0] in ours}
        assert mine <= {"catalog.profile"}, path
    for path, names in imports_of("catalog", depth=2).items():
        if path == "catalog/profile.py":
            assert not {name for name in names if name.split(".")[0] == "settings"}, path


def test_the_rasa_runtime_needs_nothing_of_ours():
    """rasa_extensions/ runs in Rasa's Python 3.10 runtime, which has neither our packages
    nor pydantic-settings: it takes its values from credentials.yml, never from `settings`."""
    for path, names in imports_of("rasa_extensions").items():
        assert not names & {"settings", "bot", "catalog", "actions", "pydantic_settings"}, path


def test_the_adapters_wrap_outside_systems_and_know_no_edge():
    """adapters/ (one module per outside system) serve actions/ and bot/, never the reverse."""
    for path, names in imports_of("adapters").items():
        assert not names & {"rasa_sdk", "bot", "actions", "telegram"}, path


def test_the_rasa_extensions_import_nothing_of_ours():
    """They run in Rasa's Python 3.10 runtime, where our packages are not installed."""
    for path, names in imports_of("rasa_extensions").items():
        assert not names & {"bot", "catalog", "actions", "adapters", "rasa_sdk"}, path


def _rasa_store_users(package: str) -> dict[str, set[str]]:
    """For each file of `package`, what it takes from bot/rasa_store.py (`*`: the module)."""
    found: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / package).rglob("*.py"):
        taken: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                taken |= {"*" for alias in node.names if alias.name == "bot.rasa_store"}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                if node.module == "bot.rasa_store":
                    taken |= {alias.name for alias in node.names}
                elif node.module == "bot":
                    taken |= {"*" for alias in node.names if alias.name == "rasa_store"}
        if taken:
            found[str(path.relative_to(PROJECT_DIR))] = taken
    return found


def _tables_named_events(package: str) -> set[str]:
    """The files of `package` that declare an SQLAlchemy `Table("events", …)`."""
    found = set()
    for path in (PROJECT_DIR / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Table"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "events"
            ):
                found.add(str(path.relative_to(PROJECT_DIR)))
    return found


def test_only_bot_rasa_store_knows_rasa_s_database():
    """Issue 19: no module of ours reads Rasa's schema. A conversation is read through Rasa's
    HTTP API (bot/rasa_api.py), the observatory gets Rasa's published events; the one
    exception, deleting from Rasa's store (erasure, retention, Telegram ids renamed), lives in
    bot/rasa_store.py, which alone defines the table (docs/architecture.md says why)."""
    production = ("bot", "catalog", "actions", "adapters", "settings", "scripts")
    users = {
        path: taken for package in production for path, taken in _rasa_store_users(package).items()
    }
    assert users == {
        "bot/purge.py": {"*"},
        "bot/legacy_telegram.py": {"*"},
        "bot/bench_cluster.py": {"*"},  # forgets its own conversations
    }
    checking = set(_rasa_store_users("tests"))  # the tests that check the deletions
    assert checking <= {"tests/test_purge.py", "tests/test_erasure_e2e.py"}, checking
    declared = {path for package in production for path in _tables_named_events(package)}
    # Rasa's SQL event broker's table, read by the observatory's consumer (issue 19, item 1)
    assert declared == {"bot/rasa_store.py", "bot/observatory/sql_broker.py"}
    for path, names in imports_of("bot/console", depth=2).items():
        assert "bot.rasa_store" not in names, path
        assert "bot.purge" not in names, path
