"""The rows of ``event-composer run --data FILE``: a CSV file (a header row of variable names,
then one row per run) or NDJSON (one JSON object per line). Each row's values become
variables for one run of the collection."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from composer.domain.jsontext import loads

MAX_DATA_BYTES = 20_000_000
MAX_ROWS = 100_000


class DataFileError(ValueError):
    """The data file cannot be used; the message names the file, the line and what is wrong."""


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of ``path`` (``.csv``, else ``.ndjson``/``.jsonl``/``.json`` as NDJSON).

    Values are text: an NDJSON number or true/false becomes its JSON spelling, so ``{{n}}``
    inside a JSON string reads as it was written. Raises DataFileError.
    """
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_DATA_BYTES:
            raise DataFileError(f"{name}: {size:,} bytes is more than {MAX_DATA_BYTES:,}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a folder, not a data file") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFileError(f"{name}, line {line}: not UTF-8 text; save it as UTF-8") from None
    rows = _csv(text, name) if name.lower().endswith(".csv") else _ndjson(text, name)
    if not rows:
        raise DataFileError(f"{name}: has no rows; give at least one")
    if len(rows) > MAX_ROWS:
        raise DataFileError(f"{name}: {len(rows):,} rows is more than {MAX_ROWS:,}")
    return rows


def _csv(text: str, name: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        names = [h.strip() for h in header]
        for i, h in enumerate(names):
            if not h:
                raise DataFileError(
                    f"{name}, line 1: column {i + 1} has no name; the first row names the variables"
                )
        if len(set(names)) != len(names):
            twice = next(h for h in names if names.count(h) > 1)
            raise DataFileError(f"{name}, line 1: the column {twice!r} is named twice")
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # a blank line
            if len(values) != len(names):
                raise DataFileError(
                    f"{name}, line {reader.line_num}: {len(values)} values for "
                    f"{len(names)} columns ({', '.join(names)})"
                )
            rows.append(dict(zip(names, values, strict=True)))
        return rows
    except csv.Error as exc:
        raise DataFileError(f"{name}, line {reader.line_num}: {exc}") from None


def _ndjson(text: str, name: str) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = loads(line)
        except ValueError as exc:
            raise DataFileError(f"{name}, line {number}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise DataFileError(
                f"{name}, line {number}: each line must be one JSON object, such as "
                '{"sku": "A-1"}'
            )
        row = {}
        for key, item in value.items():
            if isinstance(item, str):
                row[key] = item
            elif item is None or isinstance(item, bool | int | float):
                row[key] = json.dumps(item)
            else:
                raise DataFileError(
                    f"{name}, line {number}: {key} must be text, a number, true, false or "
                    "null, not an object or a list"
                )
        rows.append(row)
    return rows
