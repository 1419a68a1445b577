"""Saving an event file changes the file the user opened, and nothing else about it: a link's
target gets the text (the link stays a link), the file keeps its permissions, and a
read-only file is refused in words instead of being replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from composer.storage.event_files import (
    EventFileError,
    read_event,
    read_event_file,
    write_event_file,
)

TEXT = '{"data": {"type": "event"}}'


def test_saving_through_a_link_writes_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "event.json"
    real.parent.mkdir()
    real.write_text("{}\n")
    link = tmp_path / "event.json"
    link.symlink_to(real)
    write_event_file(link, TEXT)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == TEXT + "\n"
    assert read_event_file(link) == TEXT + "\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_saving_keeps_the_files_permissions(tmp_path: Path) -> None:
    path = tmp_path / "private.json"
    path.write_text("{}\n")
    path.chmod(0o600)
    write_event_file(path, TEXT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == TEXT + "\n"


def test_a_read_only_file_is_refused_in_words_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "locked.json"
    path.write_text("{}\n")
    path.chmod(0o444)
    with pytest.raises(EventFileError) as caught:
        write_event_file(path, TEXT)
    assert "read-only" in str(caught.value) and "Save As" in str(caught.value)
    assert path.read_text() == "{}\n" and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(os.listdir(tmp_path)) == ["locked.json"]


def test_a_new_file_is_written_with_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    write_event_file(path, TEXT)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert path.read_text() == TEXT + "\n"


def test_a_device_or_a_pipe_is_refused_in_words_without_reading_it(tmp_path: Path) -> None:
    """/dev/zero has no end and a named pipe may never be written to: reading either used to
    fill the memory or wait forever."""
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    for path in (Path("/dev/zero"), pipe):
        with pytest.raises(EventFileError) as caught:
            read_event_file(path)
        assert "not a regular file" in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_read_in_its_encoding(
    tmp_path: Path, encoding: str
) -> None:
    text = '{"data": {"attributes": {"profile": {"$email": "zoë@example.com"}}}}\r\n'
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    path = tmp_path / "windows.json"
    path.write_bytes(bom + text.encode(encoding))
    read = read_event(path)
    assert read.text == text
    assert (read.encoding == "UTF-8") == (encoding == "utf-8-sig")


def test_a_file_that_is_not_text_says_which_byte(tmp_path: Path) -> None:
    path = tmp_path / "photo.json"
    path.write_bytes(b'{"a": "\xff\xd8"}')
    with pytest.raises(EventFileError) as caught:
        read_event_file(path)
    assert "byte 7 is not UTF-8" in str(caught.value)
