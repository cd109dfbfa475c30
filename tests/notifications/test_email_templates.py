"""Every email renders in every language with nothing missing, and the preview command
writes them out for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recura import i18n
from recura.cli import app
from recura.notifications import rendering, texts

# English words that would betray a Romanian email falling back to English texts.
ENGLISH = re.compile(r"\b(Hello|the|your|you|invoice|payment|Thank|team|will|with)\b")


def test_every_text_exists_in_every_language_with_the_same_placeholders() -> None:
    assert i18n.missing(texts.DOMAIN) == []


def test_every_template_uses_only_texts_that_exist() -> None:
    used = set()
    for path in rendering.DIRECTORY.iterdir():
        used |= set(re.findall(r't\("([a-z_]+\.[a-z_0-9]+)"', path.read_text()))
    assert used - texts.keys() == set()
    # And every text is used by a template or a subject (counted words by the code).
    subjects = {f"{name}.subject" for name in rendering.TEMPLATES}
    assert texts.keys() - used - subjects - {"invoices"} == set()


@pytest.mark.parametrize("template", rendering.TEMPLATES)
@pytest.mark.parametrize("locale", texts.LOCALES)
def test_each_email_renders_whole_in_each_language(template: str, locale: str) -> None:
    rendered = rendering.sample(template, locale)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert part.strip()
        assert "{" not in part  # no placeholder left unfilled
        assert "None" not in part
    assert f'<html lang="{locale}">' in rendered.html
    if locale == "ro":
        for part in (rendered.subject, rendered.text):
            words = re.sub(r"\S+://\S+", "", part)  # links are not prose
            assert not ENGLISH.search(words), (template, ENGLISH.search(words))
    for purpose in rendering.LINKS.get(template, ()):
        url = rendering.SAMPLE_LINKS[purpose]
        assert url in rendered.text
        assert url in rendered.html
    if template in rendering.MARKETING:
        assert rendering.SAMPLE_LINKS["unsubscribe"] in rendered.text


@pytest.mark.parametrize(
    ("locale", "money", "day"),
    [("ro", "49,00\xa0RON", "15 ianuarie 2026"), ("en", "RON\xa049.00", "January 15, 2026")],
)
def test_money_and_dates_follow_the_locale(locale: str, money: str, day: str) -> None:
    text = rendering.sample("receipt", locale).text
    assert money in text
    assert day in text
    assert rendering.money(1234, "JPY", "en") == "¥1,234"
    assert rendering.money(1234, "BHD", "ro") == "1,234\xa0BHD"


def test_the_time_zone_decides_the_day() -> None:
    # 23:30 UTC is already the next day in Bucharest.
    assert (
        rendering.day("2026-01-15T23:30:00+00:00", "en", "Europe/Bucharest") == "January 16, 2026"
    )
    assert rendering.day("2026-01-15T23:30:00+00:00", "en", "UTC") == "January 15, 2026"


def test_preview_writes_html_and_text(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["emails", "preview", "payment_failed", "--locale", "ro", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "payment_failed.ro.html").read_text()
    text = (tmp_path / "payment_failed.ro.txt").read_text()
    assert "Actualizați metoda de plată" in html
    assert text.startswith("Subject: Plata de 49,00\xa0RON nu a reușit")
    result = runner.invoke(
        app,
        [
            "emails",
            "preview",
            "--all",
            "--locale",
            "en",
            "--locale",
            "ro",
            "--out",
            str(tmp_path / "all"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert len(written) == len(rendering.TEMPLATES) * 2 * 2
    result = runner.invoke(app, ["emails", "preview", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no email named 'nope'" in result.output
