"""Replaying files of events: reading NDJSON and arrays, concurrency, invalid events, resume."""

import json

import pytest

from composer.sandbox import FaultKind, SandboxApp, SandboxConfig
from composer.services.replay import Replayer, ReplayInputError, read_events
from composer.services.send import Sender
from tests.services.conftest import FLAT_REVISION


def ndjson(bodies):
    return b"\n".join(bodies) + b"\n"


def test_ndjson_items_keep_their_line_numbers(make_example):
    data = make_example(email="a@example.com") + b"\n\n" + make_example(email="b@example.com")
    items = read_events(data)
    assert [(i.index, i.line) for i in items] == [(0, 1), (1, 3)]
    assert json.loads(items[1].raw)["data"]["attributes"]["profile"]["$email"] == "b@example.com"


def test_a_json_array_is_split_into_its_elements_with_lines(make_example):
    docs = [json.loads(make_example(email=f"{i}@example.com")) for i in range(3)]
    data = json.dumps(docs, indent=2).encode()
    items = read_events(data)
    assert len(items) == 3
    assert items[0].line == 2
    assert all(data.decode().splitlines()[i.line - 1].strip().startswith("{") for i in items)
    assert json.loads(items[2].raw) == docs[2]


def test_one_pretty_printed_object_is_one_event(make_example):
    data = json.dumps(json.loads(make_example()), indent=2).encode()
    items = read_events(data)
    assert len(items) == 1 and items[0].line == 1


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b'[{"a": 1}, {"b": }]', "element 2"),
        (b'[{"a": 1} {"b": 2}]', "expected ','"),
        (b"\xff\xfe{}", "UTF-8"),
    ],
)
def test_unreadable_files_say_where_and_why(data, words):
    with pytest.raises(ReplayInputError, match=words):
        read_events(data)


def open_sender(app):
    return Sender.open("sandbox", sandbox=app, environ={}, revision=FLAT_REVISION)


async def test_every_event_is_sent_and_recorded_once(make_example):
    app = SandboxApp(SandboxConfig())
    items = read_events(ndjson([make_example(email=f"u{i}@example.com") for i in range(40)]))
    seen = []
    async with open_sender(app) as sender:
        replayer = Replayer(sender, concurrency=8, on_progress=lambda p: seen.append(p.done))
        summary = await replayer.run(items)
    assert summary.all_accepted
    assert summary.progress.counts["2xx"] == 40
    assert seen[-1] == 40 and seen == sorted(seen)
    assert len(app.events()) == 40
    assert {e.unique_id for e in app.events()} == {replayer.unique_id_for(i) for i in range(40)}


async def test_invalid_events_are_reported_by_line_and_not_sent(make_example):
    bad = json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}}).encode()
    items = read_events(ndjson([make_example(), bad, b"{not json", make_example(email="z@x.com")]))
    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        summary = await Replayer(sender).run(items)
    failures = {e.line: e.problem for e in summary.failures}
    assert set(failures) == {2, 3}
    assert failures[2].startswith("not sent: ")
    assert "line 3, column" in failures[3]
    assert summary.progress.invalid == 2 and summary.progress.sent == 2
    assert app.stats.requests == 2


async def test_force_sends_invalid_events_too(make_example):
    bad = json.dumps({"data": {"type": "event", "attributes": {"properties": {}}}}).encode()
    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        summary = await Replayer(sender, force=True).run(read_events(ndjson([bad])))
    assert summary.events[0].status == 400
    assert summary.progress.counts["4xx"] == 1


async def test_a_stopped_replay_resumes_without_recording_anything_twice(make_example):
    app = SandboxApp(
        SandboxConfig(
            fault_rate=0.2, fault_seed=5, fault_kinds=(FaultKind.SLOW,), slow_seconds=0.05
        )
    )
    items = read_events(ndjson([make_example(email=f"s{i}@example.com") for i in range(60)]))
    async with open_sender(app) as sender:
        first = Replayer(sender, concurrency=6)

        def maybe_stop(progress):
            if progress.done >= 20:
                first.stop()

        first._on_progress = maybe_stop
        stopped = await first.run(items)
        assert stopped.interrupted
        # the resume point is the first event not finished: a slow one may hold it below 20,
        # and events after it that did finish are sent again on resume (same unique_id)
        assert stopped.resume_skip is not None and 0 < stopped.resume_skip <= 20
        resumed = await Replayer(sender, concurrency=6, run_id=stopped.run_id).run(
            items, skip=stopped.resume_skip
        )
    assert not resumed.interrupted and resumed.resume_skip is None
    ids = [e.unique_id for e in app.events()]
    assert len(ids) == len(set(ids)) == 60


def test_a_run_id_must_be_a_uuid():
    with pytest.raises(ValueError):
        Replayer(object(), run_id="not-a-uuid")  # type: ignore[arg-type]


def test_a_line_that_is_not_utf8_is_named_by_its_line(make_example):
    data = make_example() + b"\n" + make_example() + b"\n" + b'{"a": "\xff"}\n'
    with pytest.raises(ReplayInputError, match="line 3"):
        read_events(data)


def test_every_element_of_a_long_pretty_array_keeps_its_line(make_example):
    docs = [json.loads(make_example(email=f"{i}@example.com")) for i in range(2000)]
    data = json.dumps(docs, indent=2).encode()
    lines = data.decode().splitlines()
    items = read_events(data)
    assert len(items) == 2000
    assert all(lines[i.line - 1] == "  {" for i in items)
    assert items[1].line - items[0].line == lines.index("  {", 2) - lines.index("  {")


async def test_a_stop_during_validation_of_a_large_file_takes_effect_at_once(make_example):
    """Ctrl-C arrives while thousands of events are still to be read and validated: the
    replay stops without validating the rest; only events already checked went out, and the
    resume point is at or before the first event not checked."""
    import asyncio

    from composer.domain.validator import Validator

    validated = [0]
    started = asyncio.Event()

    class CountingValidator(Validator):
        def validate_text(self, text):  # type: ignore[override]
            validated[0] += 1
            started.set()
            return super().validate_text(text)

    items = read_events(ndjson([make_example(email=f"v{i}@example.com") for i in range(3000)]))
    app = SandboxApp(SandboxConfig())
    sender = Sender.open("sandbox", sandbox=app, environ={}, revision=FLAT_REVISION)
    sender._validator_factory = CountingValidator
    async with sender:
        replayer = Replayer(sender, concurrency=4)
        run = asyncio.create_task(replayer.run(items))
        await asyncio.wait_for(started.wait(), 30)
        replayer.stop()  # what the Ctrl-C handler does, from the event loop
        summary = await asyncio.wait_for(run, 30)
    assert summary.interrupted
    assert validated[0] < len(items) // 2
    assert app.stats.requests <= validated[0]
    assert summary.resume_skip is not None and summary.resume_skip <= validated[0]


async def test_a_target_that_stops_answering_stops_the_run_with_a_resume_point(make_example):
    import socket

    from composer.client import ClientSettings, RetryPolicy

    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = Sender.open(
        f"http://127.0.0.1:{port}",
        environ={},
        settings=ClientSettings(retry=RetryPolicy(max_attempts=1)),
        revision=FLAT_REVISION,
    )
    items = read_events(ndjson([make_example(email=f"u{i}@example.com") for i in range(60)]))
    async with sender:
        summary = await Replayer(sender, concurrency=2, max_unreachable=5).run(items)
    assert summary.interrupted
    assert "refused" in summary.stopped_reason
    assert summary.progress.sent < 10  # it did not spend every event on a dead target
    assert summary.resume_skip == 0  # the unanswered ones are sent again on resume


async def test_a_progress_display_that_fails_loses_no_event(make_example):
    """The terminal goes away mid-run (writing the progress line raises EIO): the sends go on,
    and every event is sent and accounted for, none silently dropped."""
    app = SandboxApp(SandboxConfig())
    items = read_events(ndjson([make_example(email=f"e{i}@example.com") for i in range(20)]))

    def broken_terminal(progress):
        if progress.done >= 3:
            raise OSError(5, "Input/output error")

    seen = []
    async with open_sender(app) as sender:
        replayer = Replayer(
            sender, concurrency=4, on_progress=broken_terminal, on_event=seen.append
        )
        summary = await replayer.run(items)
    assert summary.all_accepted and summary.delivery_counts()["accepted"] == 20
    assert sorted(e.index for e in seen) == list(range(20))
    assert len(app.events()) == 20


async def test_a_send_that_fails_inside_the_app_is_unknown_and_the_run_not_finished(
    make_example,
):
    """An unexpected fault while sending one event neither kills the run nor hides the event:
    it is reported unknown (it may have left), so a resume sends it again."""
    app = SandboxApp(SandboxConfig())
    items = read_events(ndjson([make_example(email=f"f{i}@example.com") for i in range(6)]))
    async with open_sender(app) as sender:
        real_send = sender.send

        async def flaky_send(raw, **kw):
            if kw.get("run_index") == 2:
                raise RuntimeError("disk on fire")
            return await real_send(raw, **kw)

        sender.send = flaky_send
        seen = []
        summary = await Replayer(sender, concurrency=2, on_event=seen.append).run(items)
    states = {e.index: e.delivery for e in seen}
    assert states == {
        0: "accepted",
        1: "accepted",
        2: "unknown",
        3: "accepted",
        4: "accepted",
        5: "accepted",
    }
    (unknown,) = summary.events  # the summary keeps the events not accepted
    assert unknown.index == 2 and "disk on fire" in unknown.problem
    assert not summary.all_accepted


async def test_a_replay_holds_a_bounded_number_of_events_whatever_the_file_size(make_example):
    """The events are read as they are sent: the reader is never more than the short queue
    and the sends in flight ahead of the events finished, so memory does not grow with the
    file; accepted events are counted, not kept."""
    from composer.services.replay_input import ReplayItem

    total, concurrency = 600, 4
    finished = [0]
    ahead: list[int] = []

    def events():  # a file read lazily: says how far it is ahead of the events finished
        for i in range(total):
            ahead.append(i - finished[0])
            yield ReplayItem(i, i + 1, make_example(email=f"b{i}@example.com"))

    def done(_event):
        finished[0] += 1

    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        replayer = Replayer(sender, concurrency=concurrency, on_event=done)
        summary = await replayer.run(events(), total=total)
    assert summary.all_accepted and summary.delivery_counts()["accepted"] == total
    assert len(app.events()) == total
    assert max(ahead) <= 100  # the queue (64) and the sends in flight, not the file (600)
    assert summary.events == ()


async def test_input_that_stops_being_readable_stops_the_run_with_what_came_before(make_example):
    """Input read as it comes (a pipe) turns unreadable half-way: the events before it are
    sent, the run stops saying where and why, and the resume point is the next event."""
    import io

    from composer.services.replay_input import EventStream

    data = ndjson([make_example(email=f"h{i}@example.com") for i in range(3)]) + b"\xff\xfe\n"
    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        summary = await Replayer(sender, concurrency=2).run(EventStream(io.BytesIO(data)))
    assert summary.interrupted and "line 4" in summary.stopped_reason
    assert "UTF-8" in summary.stopped_reason
    assert summary.delivery_counts()["accepted"] == 3 and len(app.events()) == 3
    assert summary.total_in_file == 3 and summary.resume_skip == 3


async def test_the_window_lists_an_event_of_a_one_line_array_by_number_line_and_column(
    make_example,
):
    """The Replay dialog's report (RunEnd) names the event; ``line 1`` would not find it."""
    from composer.services.replay_text import RunEnd

    docs = [json.loads(make_example(email=f"o{i}@example.com")) for i in range(4)]
    del docs[2]["data"]["attributes"]["metric"]
    text = json.dumps(docs, separators=(",", ":"))
    column = text.index("},{", text.index("o1@example.com")) + 3  # where element 3 starts
    app = SandboxApp(SandboxConfig())
    async with open_sender(app) as sender:
        summary = await Replayer(sender).run(read_events(text.encode()))
    problems = RunEnd.of_single(summary).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"event 3 (line 1, column {column}): not sent: ")
