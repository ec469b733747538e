"""Imports flow one way (DESIGN.md, each wing's docstring): checked on the source, so a stray import fails here."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each package, and the modules it must never import (a name or its prefix).
FORBIDDEN = {
    "models": ("bot", "handlers"),
    "handlers": ("bot.wechat", "bot.inbox", "bot.delivery.notifier", "bot.delivery.relay", "bot.delivery.jobs"),
    "bot/cases": ("handlers", "bot.wechat", "bot.delivery", "bot.inbox", "bot.dashboard"),
    "bot/reports": ("handlers", "bot.wechat", "bot.delivery", "bot.inbox", "bot.dashboard"),
    "bot/villages": ("handlers", "bot.wechat", "bot.delivery", "bot.inbox", "bot.dashboard"),
}


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    wrong = {(str(path.relative_to(ROOT)), name) for path in files for name in imports(path)
             for banned in FORBIDDEN[package] if name == banned or name.startswith(banned + ".")}
    assert wrong == set()
