"""The smaller ICU data library of the Linux bundle (packaging/icu_trim.py)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest


def common_data(items: dict[str, bytes]) -> bytes:
    """A minimal ICU common data file (CmnD) holding ``items`` in name order."""
    header = bytearray(32)
    struct.pack_into("<H", header, 0, len(header))
    header[2:4] = b"\xda\x27"
    header[12:16] = b"CmnD"
    names = sorted(items)
    name_block = b"".join(n.encode() + b"\0" for n in names)
    toc_size = 4 + 8 * len(names)
    first = (toc_size + len(name_block) + 15) & ~15
    toc, body, name_off, data_off = b"", b"", toc_size, first
    for n in names:
        toc += struct.pack("<II", name_off, data_off)
        name_off += len(n) + 1
        chunk = items[n] + b"\0" * (-len(items[n]) % 16)
        body += chunk
        data_off += len(chunk)
    table = struct.pack("<I", len(names)) + toc + name_block
    return bytes(header) + table + b"\0" * (first - len(table)) + body


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("icudt73l/uprops.icu", True),
        ("icudt73l/nfc.nrm", True),
        ("icudt73l/ibm-943_P15A-2003.cnv", True),
        ("icudt73l/root.res", True),
        ("icudt73l/pool.res", True),
        ("icudt73l/res_index.res", True),
        ("icudt73l/supplementalData.res", True),
        ("icudt73l/en.res", True),
        ("icudt73l/en_GB.res", True),
        ("icudt73l/coll/root.res", True),
        ("icudt73l/coll/ucadata.icu", True),
        ("icudt73l/brkitr/word.brk", True),
        ("icudt73l/zone/pool.res", True),
        ("icudt73l/de.res", False),
        ("icudt73l/zh_Hant_TW.res", False),
        ("icudt73l/coll/zh.res", False),
        ("icudt73l/lang/fr.res", False),
        ("icudt73l/brkitr/cjdict.dict", False),
        ("icudt73l/translit/root.res", False),
    ],
)
def test_keeps_language_neutral_root_and_english_data_only(icu_trim, name, kept):
    assert icu_trim.keep_item(name) is kept


def test_trimmed_common_data_holds_the_kept_items_byte_for_byte(icu_trim):
    items = {
        "icudt73l/uprops.icu": b"P" * 37,
        "icudt73l/de.res": b"D" * 100,
        "icudt73l/en.res": b"E" * 16,
        "icudt73l/coll/ucadata.icu": b"U" * 5,
        "icudt73l/translit/root.res": b"T" * 64,
    }
    trimmed, kept, dropped = icu_trim.trim_common_data(common_data(items))
    assert (kept, dropped) == (3, 2)
    _header, parsed = icu_trim._items(trimmed)
    wanted = {n: b for n, b in items.items() if icu_trim.keep_item(n)}
    assert [n for n, _ in parsed] == sorted(wanted)  # ICU binary-searches the names
    for name, body in parsed:
        assert body.rstrip(b"\0") == wanted[name]


def test_refuses_data_that_is_not_icu_common_data(icu_trim):
    with pytest.raises(icu_trim.TrimError):
        icu_trim.trim_common_data(b"\x20\x00\x00\x00" + b"\0" * 60)


def test_reads_the_data_symbol_of_the_icu_library_pyside6_ships(icu_trim):
    # Found on disk, not imported: this also runs in the pass that blocks Qt from import.
    import sysconfig

    qt_lib = Path(sysconfig.get_paths()["purelib"]) / "PySide6" / "Qt" / "lib"
    libs = sorted(qt_lib.glob("libicudata.so.*"))
    if not libs:
        pytest.skip("no PySide6 with a bundled ICU data library in this environment")
    symbol = icu_trim.read_data_symbol(libs[0])
    assert symbol.name.startswith("icudt") and symbol.name.endswith("_dat")
    assert symbol.data[12:16] == b"CmnD"
    trimmed, kept, dropped = icu_trim.trim_common_data(symbol.data)
    assert dropped > kept > 100
    assert len(trimmed) < len(symbol.data) / 2
