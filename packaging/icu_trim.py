"""A smaller ICU data library for the Linux bundle.

PySide6's wheels ship ICU, whose data library (libicudata.so.NN) is 32 MB: a quarter of the
bundle. Qt formats numbers and dates from its own CLDR tables compiled into QtCore and asks ICU
only for collation, case mapping, normalisation and legacy text codecs. The per-locale display
data (names of languages, regions, currencies, units and time zones in 700 locales),
transliteration rules and the dictionaries for word breaking in Chinese, Japanese, Khmer, Lao,
Burmese and Thai are never read; removing them leaves about 9.5 MB.

What stays: every language-neutral item (character properties, normalisation, case folding,
the converters, collation root and the UCA table, break rules, time-zone rules, supplemental
data) and the root and English locales, so any other locale falls back to root, as ICU does
for a locale it does not know.

ICU's common data is a table of contents of named items ("CmnD"); this module reads it from
the shared library, writes a new one holding the kept items, and links it back into a shared
library with the same name and symbol (gcc, with an .incbin of the data). Used by the spec on
Linux; ``EVENT_COMPOSER_FULL_ICU=1`` keeps ICU whole.

    python packaging/icu_trim.py LIBICUDATA OUT_DIR     # prints what it kept
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_LOCALE_FILE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
_SHARED_RES = frozenset({"root.res", "pool.res", "res_index.res"})
_DROPPED_TREES = frozenset({"translit"})


class TrimError(Exception):
    """The library is not the ICU data library this module understands."""


@dataclass(frozen=True, slots=True)
class DataSymbol:
    """The exported ICU common-data blob of a data library."""

    name: str
    data: bytes


def keep_item(name: str) -> bool:
    """Whether an item of the common data (e.g. "icudt73l/coll/de.res") stays."""
    parts = name.split("/")[1:]
    if not parts:
        return True
    file_name = parts[-1]
    tree = parts[0] if len(parts) > 1 else ""
    if tree in _DROPPED_TREES:
        return False
    if tree == "brkitr" and file_name.endswith(".dict"):
        return False
    if _LOCALE_FILE.match(file_name) and file_name not in _SHARED_RES:
        return file_name == "en.res" or file_name.startswith("en_")
    return True


def read_data_symbol(library: Path) -> DataSymbol:
    """The ``icudtNN_dat`` blob of an ELF64 little-endian data library."""
    blob = library.read_bytes()
    if blob[:4] != b"\x7fELF" or blob[4] != 2 or blob[5] != 1:
        raise TrimError(f"{library}: not a 64-bit little-endian ELF library")
    (shoff,) = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", blob, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", blob, shoff + i * shentsize) for i in range(shnum)
    ]
    dynsym = next((s for s in sections if s[1] == 11), None)  # SHT_DYNSYM
    if dynsym is None:
        raise TrimError(f"{library}: no dynamic symbol table")
    strtab = sections[dynsym[6]]
    for i in range(dynsym[5] // 24):
        st_name, _info, _other, shndx, value, size = struct.unpack_from(
            "<IBBHQQ", blob, dynsym[4] + i * 24
        )
        start = strtab[4] + st_name
        name = blob[start : blob.index(b"\0", start)].decode("ascii")
        if re.fullmatch(r"icudt\d+_dat", name) and 0 < shndx < len(sections):
            section = sections[shndx]
            offset = value - section[3] + section[4]
            return DataSymbol(name, blob[offset : offset + size])
    raise TrimError(f"{library}: no icudtNN_dat symbol")


def _items(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, bytes) items of an ICU common data file."""
    (header_size,) = struct.unpack_from("<H", data, 0)
    if data[2:4] != b"\xda\x27" or data[12:16] != b"CmnD":
        raise TrimError("not ICU common data (CmnD)")
    (count,) = struct.unpack_from("<I", data, header_size)
    toc = [struct.unpack_from("<II", data, header_size + 4 + 8 * k) for k in range(count)]
    items = []
    for k, (name_offset, data_offset) in enumerate(toc):
        start = header_size + name_offset
        name = data[start : data.index(b"\0", start)].decode("ascii")
        end = header_size + toc[k + 1][1] if k + 1 < count else len(data)
        items.append((name, data[header_size + data_offset : end]))
    return data[:header_size], items


def _pad16(size: int) -> int:
    return (size + 15) & ~15


def trim_common_data(data: bytes) -> tuple[bytes, int, int]:
    """A new common data file holding the kept items; also (kept, dropped) item counts."""
    header, items = _items(data)
    kept = [(name, body) for name, body in items if keep_item(name)]
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in kept)
    toc_size = 4 + 8 * len(kept)
    first_item = _pad16(toc_size + len(names))
    toc, bodies, name_offset, data_offset = b"", b"", toc_size, first_item
    for name, body in kept:
        toc += struct.pack("<II", name_offset, data_offset)
        name_offset += len(name) + 1
        padded = body + b"\0" * (_pad16(len(body)) - len(body))
        bodies += padded
        data_offset += len(padded)
    table = struct.pack("<I", len(kept)) + toc + names
    table += b"\0" * (first_item - len(table))
    return header + table + bodies, len(kept), len(items) - len(kept)


def build_library(symbol: DataSymbol, data: bytes, soname: str, out_dir: Path) -> Path:
    """Link ``data`` into ``out_dir/soname`` exporting ``symbol.name`` (needs gcc)."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise TrimError("no C compiler (gcc) to link the smaller ICU data library")
    out_dir.mkdir(parents=True, exist_ok=True)
    dat = out_dir / f"{symbol.name}.dat"
    dat.write_bytes(data)
    asm = out_dir / f"{symbol.name}.S"
    asm.write_text(
        "\t.section .rodata\n"
        f"\t.globl {symbol.name}\n"
        f"\t.type {symbol.name}, @object\n"
        "\t.balign 16\n"
        f"{symbol.name}:\n"
        f'\t.incbin "{dat.name}"\n'
        f"\t.size {symbol.name}, . - {symbol.name}\n"
        '\t.section .note.GNU-stack,"",@progbits\n',
        encoding="ascii",
    )
    out = out_dir / soname
    subprocess.run(
        [gcc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", out.name, asm.name],
        cwd=out_dir,
        check=True,
    )
    return out


def trimmed_library(library: Path, out_dir: Path) -> tuple[Path, str]:
    """A trimmed copy of ``library`` in ``out_dir`` and a line saying what it holds."""
    symbol = read_data_symbol(library)
    data, kept, dropped = trim_common_data(symbol.data)
    out = build_library(symbol, data, library.name, out_dir)
    summary = (
        f"ICU data: kept {kept} items, dropped {dropped} "
        f"({len(symbol.data) / 1e6:.1f} MB -> {len(data) / 1e6:.1f} MB)"
    )
    return out, summary


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: icu_trim.py LIBICUDATA OUT_DIR")
    _, line = trimmed_library(Path(sys.argv[1]), Path(sys.argv[2]))
    print(line)
