"""Every command the app advises (`event-composer WORD ...` in a message, help text or
docstring) exists: advice naming a command that is not there leaves the user stuck."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from composer.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def test_every_advised_command_exists() -> None:
    known = _commands()
    advised: dict[str, str] = {}
    for path in [
        *(ROOT / "composer").rglob("*.py"),
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]:
        for word in re.findall(r"event-composer ([a-z][a-z-]+)", path.read_text(encoding="utf-8")):
            advised.setdefault(word, str(path.relative_to(ROOT)))
    unknown = {word: where for word, where in advised.items() if word not in known}
    assert not unknown, f"advised commands that do not exist: {unknown}"
