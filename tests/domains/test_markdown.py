"""The merchant's Markdown is shown to subscribers: raw HTML never passes, nothing is
loaded from elsewhere, and links go only to http, https or mailto."""

from __future__ import annotations

import re

import pytest

from recura.domains.common.markdown import to_html, to_text

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](/relative/admin)",
    "<javascript:alert(1)>",
    "![pixel](https://tracker.example/p.gif)",
    "![x](javascript:alert(1))",
    '[x](https://ok.example "a" onmouseover="alert(1)")',
    '[x](https://ok.example/"><script>alert(1)</script>)',
    "<style>body{display:none}</style>",
    "<!-- comment --> &lt;b&gt;",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source: str) -> None:
    html = str(to_html(source))
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<style" not in html
    assert "<!--" not in html
    # No tag carries an event handler or loads anything (escaped text may show them).
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html)
    assert not re.search(r"<[a-z][^>]*\ssrc\s*=", html)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("https://", "http://", "mailto:")), href


def test_allowed_markdown_keeps_its_shape() -> None:
    source = (
        "# Start\n\nOpen **Settings** and *read* `the docs`.\n\n"
        "1. [Connect](https://app.example.ro/bank)\n2. Write to [us](mailto:help@example.ro)\n\n"
        "- one\n- two\n\n![the logo](https://img.example/logo.png)"
    )
    html = str(to_html(source))
    assert "<h1>Start</h1>" in html
    assert "<strong>Settings</strong>" in html
    assert "<em>read</em>" in html
    assert "<code>the docs</code>" in html
    assert (
        '<a href="https://app.example.ro/bank" rel="noopener noreferrer nofollow">Connect</a>'
        in html
    )
    assert 'href="mailto:help@example.ro"' in html
    assert "<ol>" in html
    assert "<ul>" in html
    assert "the logo" in html  # an image shows as its words
    assert "logo.png" not in html

    text = to_text(source)
    assert text.splitlines() == [
        "Start",
        "",
        "Open Settings and read the docs.",
        "",
        "1. Connect (https://app.example.ro/bank)",
        "2. Write to us (help@example.ro)",
        "",
        "- one",
        "- two",
        "",
        "the logo",
    ]


def test_raw_html_shows_as_text_and_is_escaped() -> None:
    html = str(to_html("Hi <b>there</b> & <script>x</script>"))
    assert html == "<p>Hi &lt;b&gt;there&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;</p>"
    # The text part is not HTML: it keeps the characters as written.
    assert to_text("Hi <b>there</b> & co") == "Hi <b>there</b> & co"


def test_empty_and_plain() -> None:
    assert str(to_html("")) == ""
    assert to_text("") == ""
    assert to_text("just words") == "just words"
