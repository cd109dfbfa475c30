"""The merchant's Markdown (onboarding steps, announcements) as safe HTML for pages and
emails, and as plain text for an email's text part.

Merchants write it; subscribers read it. So raw HTML is never passed through (it shows as
text), images are not loaded (an image shows as its words), and a link goes
only to http, https or mailto: `javascript:`, `data:` and the rest stay plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


def _allowed(url: str) -> bool:
    """Only absolute links with a scheme we allow: a relative link would point into
    Recura's own pages, whichever host shows it."""
    found = _SCHEME.match(url.strip())
    return found is not None and found.group(1).lower() in SCHEMES


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _allowed  # type: ignore[method-assign]
    return md


def _tokens(source: str) -> list[Token]:
    tokens = _parser().parse(source or "")
    for token in tokens:
        if token.children:
            token.children = [_no_image(child) for child in token.children]
    return tokens


def _no_image(token: Token) -> Token:
    """An image as its words: nothing is loaded from where the merchant points."""
    if token.type != "image":
        return token
    return Token("text", "", 0, content=token.content)


def to_html(source: str) -> Markup:
    """Safe HTML of `source`: escaped text, allowed links (opening outside, no referrer)."""
    tokens = _tokens(source)
    for token in _walk(tokens):
        if token.type == "link_open":
            token.attrSet("rel", "noopener noreferrer nofollow")
    html = _parser().renderer.render(tokens, _parser().options, {})
    return Markup(html.strip())  # noqa: S704 (markdown-it escaped every text and attribute)


def to_text(source: str) -> str:
    """`source` as plain text: paragraphs apart, list items with a dash or their number,
    a link's address after its words."""
    out: list[str] = []
    _text_blocks(_tokens(source), out)
    text = "".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _walk(tokens: Sequence[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found += _walk(token.children)
    return found


def _text_blocks(tokens: Sequence[Token], out: list[str]) -> None:
    lists: list[list[int]] = []  # for each open list: [next number] or [] for bullets
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
            lists.append([])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            out.append("\n")
        elif kind == "list_item_open":
            indent = "  " * (len(lists) - 1)
            current = lists[-1] if lists else []
            if current:
                out.append(f"{indent}{current[0]}. ")
                current[0] += 1
            else:
                out.append(f"{indent}- ")
        elif kind == "inline":
            out.append(_inline_text(token.children or []))
        elif kind in ("code_block", "fence"):
            out.append(token.content.rstrip("\n") + "\n\n")
        elif kind == "paragraph_close":
            out.append("\n" if lists else "\n\n")
        elif kind == "heading_close":
            out.append("\n\n")
        elif kind == "hr":
            out.append("---\n\n")


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    opened: list[tuple[str, int]] = []  # each open link: its address, where its words start
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            opened.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and opened:
            href, start = opened.pop()
            label = "".join(parts[start:]).strip()
            shown = href.removeprefix("mailto:")
            if href and label != shown:
                parts.append(f" ({shown})")
    return "".join(parts)
