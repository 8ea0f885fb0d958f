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
