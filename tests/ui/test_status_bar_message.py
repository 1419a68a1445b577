"""A passing message longer than the status bar's room (a narrow window, the rate limit and
the next unique_id beside it) ends in "…" and is whole in the bar's tool tip: Qt's bar cut
it off without a sign, and the end of a revision switch's summary was lost."""

from __future__ import annotations


def test_a_long_message_in_a_narrow_window_ends_in_an_ellipsis_and_is_whole_in_the_tool_tip(
    qtbot, make_window
) -> None:
    window = make_window()
    window.resize(1024, 700)
    window.layout_parts.status_rate.setText("3,499 sends left this minute")
    window.target_bar.set_revision("2023-01-24")  # converts the event: the summary says so
    bar = window.statusBar()
    qtbot.waitUntil(lambda: "Converted the event" in bar.currentMessage(), timeout=3000)
    whole = bar.currentMessage()
    assert whole.endswith("Undo (Ctrl+Z) goes back.")
    # in a window too narrow for it, the bar shows its start and says there is more
    window.resize(520, 700)
    qtbot.waitUntil(lambda: bar.shown_message() != whole, timeout=3000)
    shown = bar.shown_message()
    assert shown.endswith("…") and whole.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.width()
    assert bar.toolTip() == whole
    assert bar.currentMessage() == whole  # what the app said is kept whole
    # wide enough again: the whole message, and no tool tip repeating it
    window.resize(1900, 700)
    qtbot.waitUntil(lambda: bar.shown_message() == whole, timeout=3000)
    assert bar.toolTip() == ""
    window.controller.mark_saved()


def test_a_message_that_times_out_leaves_no_tool_tip_behind(qtbot, make_window) -> None:
    window = make_window()
    window.resize(520, 700)
    bar = window.statusBar()
    bar.showMessage("Saved events.json to a folder with a long name " * 4, 200)
    assert bar.toolTip().startswith("Saved events.json")
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=3000)
    assert bar.toolTip() == "" and bar.shown_message() == ""
