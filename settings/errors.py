"""Bad settings told in French: one line per wrong variable, naming it and what it expects."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError


class SettingsError(ValueError):
    """The environment does not describe a usable configuration; the message says what to fix."""


def _expected(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "int_parsing" or kind == "int_from_float":
        return "un nombre entier est attendu"
    if kind == "float_parsing":
        return "un nombre est attendu (par exemple 300 ou 2.5)"
    if kind == "greater_than_equal":
        return f"la valeur doit être au moins {ctx['ge']}"
    if kind == "greater_than":
        return f"la valeur doit être supérieure à {ctx['gt']}"
    if kind == "less_than_equal":
        return f"la valeur doit être au plus {ctx['le']}"
    if kind == "string_too_short":
        return "la valeur ne peut pas être vide"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])  # not expected from an environment variable's text


def _field(model: type[BaseModel], location: tuple[Any, ...]) -> tuple[str, bool]:
    """The environment variable of an error's location, and whether its value is secret."""
    for step in location:
        field = model.model_fields.get(str(step))
        if field is None:
            break
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "env" in extra:
            return str(extra["env"]), bool(extra.get("secret"))
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            break
    return ".".join(str(step) for step in location), False


def explain(error: ValidationError, model: type[BaseModel]) -> SettingsError:
    """The French `SettingsError` for pydantic's `error` raised while validating `model`."""
    lines = []
    for item in error.errors():
        name, secret = _field(model, tuple(item["loc"]))
        value = item.get("input")
        shown = "" if secret or not isinstance(value, str) else f" (« {value} »)"
        lines.append(f"{name}{shown} : {_expected(item)}.")
    if len(lines) == 1:
        return SettingsError(f"configuration invalide : {lines[0]}")
    return SettingsError("configuration invalide :\n" + "\n".join(f"  {line}" for line in lines))
