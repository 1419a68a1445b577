"""The read-back verdict in words, and which targets are checked automatically (Qt-free)."""

from __future__ import annotations

from composer.client.targets import parse_target
from composer.services.outcome_text import Tone
from composer.services.verify import Verification, VerifyOutcome
from composer.services.verify_text import checks_automatically, verdict_text
from composer.storage.settings import Settings

SANDBOX = parse_target("sandbox")
KLAVIYO = parse_target("production")


def test_each_target_follows_its_own_setting() -> None:
    settings = Settings(verify_sandbox=False, verify_klaviyo=True)
    assert not checks_automatically(settings, SANDBOX)
    assert checks_automatically(settings, KLAVIYO)
    assert checks_automatically(Settings(), SANDBOX) and checks_automatically(Settings(), KLAVIYO)


def test_landed_shows_the_event_id_time_and_differences() -> None:
    verdict = Verification(
        VerifyOutcome.LANDED,
        "Landed",
        {
            "event_id": "EV1",
            "datetime": "2026-07-15T10:00:00+00:00",
            "profile_id": "P1",
            "metric_id": "M1",
            "differences": ["properties.x: sent, not stored"],
        },
        waited_seconds=1.25,
    )
    words = verdict_text(verdict, KLAVIYO)
    assert words.tone is Tone.OK and words.headline == "Landed: Klaviyo recorded it"
    assert "2026-07-15T10:00:00+00:00" in words.lines[0] and "EV1" in words.lines[0]
    assert words.lines[1] == "Stored differently: properties.x: sent, not stored"


def test_not_seen_lists_the_causes_and_cannot_check_names_the_scope() -> None:
    not_seen = verdict_text(
        Verification(VerifyOutcome.NOT_SEEN, "", causes=("a", "b"), waited_seconds=30), SANDBOX
    )
    assert not_seen.tone is Tone.WARNING and "inconclusive" in not_seen.headline
    assert not_seen.lines[1:] == ("• a", "• b")
    cannot = verdict_text(
        Verification(VerifyOutcome.CANNOT_CHECK, "", {"missing_scope": "metrics:read"}), KLAVIYO
    )
    assert cannot.headline == "Cannot check: the key lacks the metrics:read scope"
    skipped = verdict_text(Verification(VerifyOutcome.SKIPPED, "Not checked: no metric."), KLAVIYO)
    assert skipped.lines == ("Not checked: no metric.",)
