"""The acquisition channel read from a checkout's acquisition data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.acquisition import channel_of, is_channel, slug, utm_of


@pytest.mark.parametrize(
    ("acquisition", "channel"),
    [
        ({"channel": "Newsletter"}, "newsletter"),
        ({"channel": "Google Ads", "utm_source": "bing"}, "google_ads"),
        ({"utm_source": "google", "utm_medium": "cpc"}, "google_ads"),
        ({"utm_source": "Google", "utm_medium": "organic"}, "organic"),
        ({"utm_source": "google"}, "organic"),
        ({"utm_source": "facebook", "utm_medium": "paid"}, "paid_social"),
        ({"utm_source": "linkedin"}, "social"),
        ({"utm_source": "mailchimp", "utm_medium": "email"}, "newsletter"),
        ({"utm_source": "newsletter"}, "newsletter"),
        ({"utm_source": "acme", "utm_medium": "referral"}, "referral"),
        ({"utm_source": "Podcast X"}, "podcast_x"),
        ({"utm_medium": "organic"}, "organic"),
        ({"channel": "plan_link"}, "pricing_page"),
        ({"channel": "plan_link", "utm_source": "google", "utm_medium": "cpc"}, "google_ads"),
        ({"channel": "!!!"}, "direct"),
        ({}, "direct"),
    ],
)
def test_channel_rule(acquisition: dict[str, str], channel: str) -> None:
    assert channel_of(acquisition) == channel


@given(st.dictionaries(st.sampled_from(["channel", "utm_source", "utm_medium"]), st.text()))
def test_channel_is_always_a_slug(acquisition: dict[str, str]) -> None:
    assert is_channel(channel_of(acquisition))


def test_slug_and_utm() -> None:
    assert slug("  Spring -- 2026 ") == "spring_2026"
    assert len(slug("x" * 100)) == 40
    assert utm_of({"channel": "a", "utm_source": "b", "utm_term": ""}) == {"utm_source": "b"}
