"""The file operations of a collection: bounded reads, writes through a temporary file and a
rename, and the checks that keep every path inside the collection folder. Each failure is a
CollectionError naming the file relative to the collection."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from composer.domain.collection_rules import ORDER_FILE, expectation_name, request_name
from composer.storage.collection_items import CollectionError

BOM = b"\xef\xbb\xbf"


def inside(path: Path, root: Path) -> bool:
    """True when the real path ``path`` is ``root`` or below it."""
    return path == root or path.is_relative_to(root)


def encode_text(text: str) -> bytes:
    """``text`` as UTF-8; CollectionError for a lone surrogate, which UTF-8 cannot store."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CollectionError(
            f"the text holds a lone surrogate at character {exc.start}, which UTF-8 cannot "
            "store; write it as a \\u escape"
        ) from None


def read_bytes(path: Path, where: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (``where`` names it in messages), refusing one
    over ``limit`` bytes, a folder, a device or a pipe."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise CollectionError(f"{where}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise CollectionError(f"{where}: is not a regular file (a device or a pipe)")
        if st.st_size > limit:
            raise CollectionError(
                f"{where}: {st.st_size:,} bytes is more than the {limit:,} such a file may "
                "have; it was not read"
            )
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise CollectionError(f"{where}: no such file (was it moved?)") from None
    except PermissionError:
        raise CollectionError(f"{where}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise CollectionError(f"{where}: more than {limit:,} bytes; it was not read")
    return data


def atomic_write(path: Path, data: bytes, where: str) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, keeping its mode."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CollectionError(f"{where}: cannot be written ({exc.strerror or exc})") from None


def rename_path(source: Path, target: Path, where: str) -> None:
    """Rename ``source`` to ``target``; CollectionError naming ``where`` when it fails."""
    try:
        os.rename(source, target)
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be renamed ({exc.strerror or exc})") from None


def unlink_path(path: Path, where: str) -> None:
    """Delete the file ``path`` (gone already is fine)."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CollectionError(f"{where}: cannot be deleted ({exc.strerror or exc})") from None


def stray_file(folder: Path, rel: str) -> str | None:
    """The first file under ``folder`` that is not a collection file (or a link), else None."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                return f"{Path(dirpath, d).relative_to(folder).as_posix()} (a link)"
        for name in filenames:
            full = Path(dirpath, name)
            is_ours = (
                request_name(name) is not None
                or expectation_name(name) is not None
                or name == ORDER_FILE
            )
            if full.is_symlink() or not is_ours:
                return full.relative_to(folder).as_posix()
    return None


def without_prefix(message: str, where: str) -> str:
    """``message`` without the ``where: `` it starts with."""
    prefix = f"{where}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
