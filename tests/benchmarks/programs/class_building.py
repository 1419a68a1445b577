"""Count the Python classes built before a window's first paint, and the time they take:
``python -m tests.benchmarks.programs.class_building app DATA_DIR`` (Event Composer's window,
as it starts) or ``... bare`` (a bare QMainWindow). Prints one JSON line.

Two kinds of class cost much to build in Python 3.11 and are built before any window shows:
- enum classes: PySide6 builds a Python ``enum`` class for each enum of a Qt class the first
  time that class is used (``Qt`` alone has about a hundred), and the app has its own;
- dataclasses: ``@dataclass`` generates and compiles each method's source.
bench_gui prints these beside the start-up times: they are a share of the start-up that no
change of what the window builds before its first paint can remove, only building fewer
kinds of thing."""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import time
from pathlib import Path
from typing import Any

_spent = {"enums": 0, "enum_s": 0.0, "qt_enums": 0, "dataclasses": 0, "dataclass_s": 0.0}
_depth = [0]


def _count_enums() -> None:
    build = enum.EnumType.__new__

    def counted(metacls: Any, name: str, bases: Any, namespace: Any, **kwargs: Any) -> Any:
        # PySide6 builds its enums through enum's functional API (``Enum("Key", ...)``),
        # Python code with class statements
        from_qt = sys._getframe(1).f_code.co_name == "_create_"
        _depth[0] += 1
        started = time.perf_counter()
        try:
            return build(metacls, name, bases, namespace, **kwargs)
        finally:
            _depth[0] -= 1
            if not _depth[0]:  # an enum built while building another counts once
                _spent["enums"] += 1
                _spent["qt_enums"] += from_qt
                _spent["enum_s"] += time.perf_counter() - started

    enum.EnumType.__new__ = counted  # type: ignore[assignment,method-assign]


def _count_dataclasses() -> None:
    process = dataclasses._process_class  # type: ignore[attr-defined]

    def counted(cls: type, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return process(cls, *args, **kwargs)
        finally:
            _spent["dataclasses"] += 1
            _spent["dataclass_s"] += time.perf_counter() - started

    dataclasses._process_class = counted  # type: ignore[attr-defined]


def _bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    from tests.benchmarks.programs.bare_window import quit_on_first_paint

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1280, 860)
    quit_on_first_paint(app, window)
    app.exec()


def _app(data_dir: Path) -> None:
    from composer.app import _paint_window_first as paint_window_first

    if paint_window_first(data_dir, None) is None:
        raise SystemExit(f"the window could not be built over {data_dir}")


def main() -> None:
    _count_enums()
    _count_dataclasses()
    if sys.argv[1:2] == ["bare"]:
        _bare()
    elif sys.argv[1:2] == ["app"] and len(sys.argv) == 3:
        _app(Path(sys.argv[2]))
    else:
        raise SystemExit("usage: class_building bare | app DATA_DIR")
    print(
        json.dumps(
            {
                "enums": _spent["enums"],
                "enum_ms": round(_spent["enum_s"] * 1000, 1),
                "qt_enums": _spent["qt_enums"],
                "dataclasses": _spent["dataclasses"],
                "dataclass_ms": round(_spent["dataclass_s"] * 1000, 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
