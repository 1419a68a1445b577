"""The replay's streamed reader: lazy (memory flat whatever the file size) and the same events,
lines and content hash as the whole-file reader."""

from __future__ import annotations

import io

import pytest

from composer.services.replay_input import (
    EventStream,
    ReplayInputError,
    content_hash_of,
    read_events,
    scan_events,
)

SAMPLES = [
    b'{"a":1}\n\n{"b":2}\n',
    b'\xef\xbb\xbf{"a":1}\r\n{"b":2}',
    b'[\n {"a":1},\n {"b":[1,2]}\n]\n',
    b'{\n "a": 1\n}\n',
    b"[]",
    b'[1, 2.5e3 , "x\\u00e9", {"k": "\xc3\xa9"}]',
    b'{"a":1}\nnot json\n{"b":2}\n',
    b'[{"a":1},{"b":2},{"c":3}]',
    b'[{"a":1}, {"b":\n2},\n  {"c":3}\n, {"d":4}]',
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_stream_gives_the_events_lines_and_hash_of_the_whole_file_reader(data):
    stream = EventStream(io.BytesIO(data), chunk=3)  # chunks cut through elements and chars
    got = [(i.index, i.line, i.column, i.raw) for i in stream]
    assert got == [(i.index, i.line, i.column, i.raw) for i in read_events(data)]
    assert stream.content_hash == content_hash_of(io.BytesIO(data))[1]
    assert scan_events(io.BytesIO(data)) == (len(got), stream.content_hash)


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_events_that_share_a_line_carry_their_column_and_the_others_only_their_line(chunk):
    data = '[{"a":"\u00e9"}, {"b":1,\n"x":0},\n  {"c":3}\n, {"d":4},{"e":5}]'.encode()
    got = [(i.line, i.column, i.place) for i in EventStream(io.BytesIO(data), chunk=chunk)]
    assert got == [
        (1, 2, "event 1 (line 1, column 2)"),
        (1, 13, "event 2 (line 1, column 13)"),  # columns count characters, not bytes
        (3, None, "line 3"),  # alone on its line: the line finds it
        (4, 3, "event 4 (line 4, column 3)"),
        (4, 11, "event 5 (line 4, column 11)"),
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'[{"a":1},{"b":,2},{"c":3}]', "line 1, column 15: element 2 of the JSON array"),
        (b'[{"a":1},\n {"b":1} {"c":3}]', "line 2, column 10: expected ',' or ']' after element 2"),
        (b'[{"a":1}] x', "line 1, column 11: text after the end of the JSON array"),
        (b'[{"a":1},  {"b":', "line 1, column 12: the file ends inside element 2"),
    ],
)
def test_a_mistake_in_a_one_line_array_is_placed_by_line_and_column(data, words):
    for chunk in (3, 1 << 20):
        with pytest.raises(ReplayInputError, match=words.replace("(", r"\(")):
            list(EventStream(io.BytesIO(data), chunk=chunk))


class CountingReader(io.RawIOBase):
    """A file that says how far it has been read."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = self.inner.readinto(buffer)
        self.read_so_far += n
        return n


@pytest.mark.parametrize("array", [False, True])
def test_the_reader_is_lazy_it_reads_only_a_chunk_ahead(array):
    line = b'{"data":{"type":"event","attributes":{"properties":{"n":"' + b"x" * 200 + b'"}}}}'
    n = 20_000  # about 4.5 MB
    data = (b"[" + b",\n".join([line] * n) + b"]") if array else b"\n".join([line] * n)
    raw = CountingReader(data)
    stream = EventStream(io.BufferedReader(raw, 8192), chunk=64 * 1024)
    events = iter(stream)
    for _ in range(10):
        next(events)
    assert raw.read_so_far < 200_000, raw.read_so_far  # not the 4.5 MB file
    assert sum(1 for _ in events) == n - 10


def test_an_unreadable_element_is_named_by_its_line_after_the_ones_before_it():
    stream = EventStream(io.BytesIO(b'[{"a":1},\n{"b":2}\n{"c":3}]'), chunk=4)
    seen = []
    with pytest.raises(ReplayInputError, match="line 3, column 1: expected"):
        for item in stream:
            seen.append(item.index)
    assert seen == [0, 1]


def test_a_json_array_on_one_line_may_be_longer_than_one_event(monkeypatch):
    """JSON.stringify writes a whole array on one line: its elements are events, each short."""
    import composer.services.replay_input as replay_input

    monkeypatch.setattr(replay_input, "MAX_EVENT_BYTES", 1000)
    data = b"[" + b",".join(b'{"n":%d,"pad":"%s"}' % (n, b"x" * 40) for n in range(100)) + b"]"
    assert len(data) > 5000
    stream = EventStream(io.BytesIO(data), chunk=256)
    assert [i.index for i in stream] == list(range(100))
    assert stream.count == 100


def test_one_line_longer_than_an_event_is_still_refused_when_not_an_array(monkeypatch):
    import composer.services.replay_input as replay_input

    monkeypatch.setattr(replay_input, "MAX_EVENT_BYTES", 1000)
    with pytest.raises(ReplayInputError, match=r"line 1: longer than .* too large to be one event"):
        list(EventStream(io.BytesIO(b'{"a":"' + b"x" * 5000 + b'"}\n')))


@pytest.mark.parametrize("chunk", [4, 65536])
def test_a_json_array_cut_short_says_so_and_where_its_last_element_starts(chunk):
    data = b'[\n{"a": 1},\n{"b": 2}, {"c": [1, 2,'
    with pytest.raises(ReplayInputError) as caught:
        list(EventStream(io.BytesIO(data), chunk=chunk))
    message = str(caught.value)
    # the file's column, where the element starts (not one counted inside the element)
    assert message.startswith("line 3, column 11: the file ends inside element 3 of the JSON array")


def test_an_invalid_element_is_named_by_the_line_and_column_of_the_mistake_in_the_file():
    data = b'[{"a": 1},\n{"b": 2,\n "c" 3}]'
    with pytest.raises(ReplayInputError) as caught:
        list(EventStream(io.BytesIO(data)))
    message = str(caught.value)
    assert message.startswith("line 3, column 6: element 2 of the JSON array is not valid JSON")
    assert "expecting ':' delimiter" in message
