"""Check Bot API JSON objects against the machine-readable Bot API reference (10.1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / \
    "telegram-bot-api-10.1.min.json"

_PRIMITIVES = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
}


class BotApiSchema:
    """Types and methods of the reference; `check*` return a list of problems (empty = ok)."""

    def __init__(self, path: Path = REFERENCE):
        data = json.loads(path.read_text(encoding="utf-8"))
        self.version = data["version"]
        self.types: dict[str, dict] = data["types"]
        self.methods = {name.lower(): spec for name, spec in data["methods"].items()}

    def check_result(self, method: str, result: Any) -> list[str]:
        """Check a method's result against what the reference says it returns."""
        spec = self.methods.get(method.lower())
        if spec is None:
            return [f"{method}: not a Bot API method"]
        return self._any(result, spec["returns"], f"{method}()")

    def check(self, value: Any, type_name: str, path: str = "$") -> list[str]:
        problems: list[str] = []
        self._check(value, type_name, path, problems)
        return problems

    def _any(self, value: Any, alternatives: list[str], path: str) -> list[str]:
        best: list[str] | None = None
        for type_name in alternatives:
            problems = self.check(value, type_name, path)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        return best or []

    def _check(self, value: Any, type_name: str, path: str, problems: list[str]) -> None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                problems.append(f"{path}: expected {type_name}, got {type(value).__name__}")
                return
            for i, item in enumerate(value):
                self._check(item, type_name[len("Array of "):], f"{path}[{i}]", problems)
            return
        if type_name in _PRIMITIVES:
            if not _PRIMITIVES[type_name](value):
                problems.append(f"{path}: expected {type_name}, got {value!r}")
            return
        spec = self.types.get(type_name)
        if spec is None:
            problems.append(f"{path}: unknown type {type_name}")
            return
        if spec.get("subtypes"):
            problems.extend(self._any(value, spec["subtypes"], path))
            return
        if not isinstance(value, dict):
            problems.append(f"{path}: expected {type_name} object, got {type(value).__name__}")
            return
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for name, f in fields.items():
            if name not in value:
                if f["required"]:
                    problems.append(f"{path}: {type_name} lacks required field {name!r}")
                continue
            problems.extend(self._any(value[name], f["types"], f"{path}.{name}"))
            allowed = _enum(f)
            if allowed and value[name] not in allowed:
                problems.append(f"{path}.{name}: {value[name]!r} not one of {sorted(allowed)}")
        problems.extend(f"{path}: {type_name} has no field {name!r}"
                        for name in value if name not in fields)


def _enum(field: dict) -> set[str]:
    """Values listed in a "type" field's description ("private", "bold" ...)."""
    if field["name"] != "type" or field["types"] != ["String"]:
        return set()
    return set(re.findall(r'["“]([a-z_]+)["”]', field.get("description", "")))
