"""The boundaries of spec/architecture.md, checked on the code itself."""

import ast

from conftest import PROJECT_DIR

OUR_PACKAGES = ("bot", "catalog", "actions", "adapters", "tests", "scripts")


def imports_of(package: str) -> dict[str, set[str]]:
    found = {}
    for path in (PROJECT_DIR / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
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


def test_the_adapters_wrap_outside_systems_and_know_no_edge():
    """adapters/ (one module per outside system) serve actions/ and bot/, never the reverse."""
    for path, names in imports_of("adapters").items():
        assert not names & {"rasa_sdk", "bot", "actions", "telegram"}, path
