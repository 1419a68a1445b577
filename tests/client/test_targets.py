import pytest

from composer.client import (
    PRODUCTION_URL,
    SANDBOX_KEY,
    TargetError,
    TargetKind,
    parse_target,
)


def test_default_is_the_in_process_sandbox():
    target = parse_target(None)
    assert target.kind is TargetKind.SANDBOX
    assert target.label == "sandbox"
    assert target.is_local and not target.is_klaviyo


def test_production_is_klaviyo_over_https():
    target = parse_target("production")
    assert target.base_url == PRODUCTION_URL == "https://a.klaviyo.com"
    assert target.is_klaviyo
    assert parse_target("https://a.klaviyo.com/").kind is TargetKind.PRODUCTION


def test_klaviyo_over_plain_http_is_refused():
    with pytest.raises(TargetError, match="only reached over https"):
        parse_target("http://a.klaviyo.com")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8787", "http://localhost:9/", "http://[::1]:80"])
def test_loopback_urls_are_local_and_not_klaviyo(url):
    target = parse_target(url)
    assert target.kind is TargetKind.LOOPBACK
    assert not target.base_url.endswith("/")
    assert "not Klaviyo" in target.describe()
    assert target.warning() is None


def test_other_urls_are_allowed_but_flagged_as_not_klaviyo():
    target = parse_target("http://events.example.test:8080/proxy/")
    assert target.kind is TargetKind.CUSTOM
    assert target.base_url == "http://events.example.test:8080/proxy"
    assert "NOT Klaviyo" in target.describe()
    assert "unencrypted" in (target.warning() or "")


@pytest.mark.parametrize("spec", ["ftp://x", "sandboxx", "http://", "http://h:99999"])
def test_unusable_targets_say_what_would_be_right(spec):
    with pytest.raises(TargetError) as info:
        parse_target(spec)
    assert "target" in str(info.value)


def test_sandbox_key_has_the_shape_of_a_private_key():
    assert SANDBOX_KEY.startswith("pk_sandbox")
    assert SANDBOX_KEY[3:].isalnum()
    assert len(SANDBOX_KEY) == 37
