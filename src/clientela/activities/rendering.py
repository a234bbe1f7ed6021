"""Markdown written by users (notes, comments), turned into HTML that is safe to show.

Raw HTML in the text is not passed through: Python-Markdown's HTML block and inline HTML
handlers are removed, so `<script>` reads as the text "<script>". The HTML Markdown produces
is then cleaned by nh3 with an allow-list of tags and attributes and of link schemes (http,
https, mailto): no `javascript:` links, no event handlers, no images (a remote image in a
note would tell a third party who read it, and when)."""

import re
import threading

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

# A mention as the comment box writes it: @[Full Name](user:42).
MENTION_TOKEN = re.compile(r"@\[(?P<name>[^\]\n]{1,150})\]\(user:(?P<id>[0-9]{1,18})\)")
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _new_converter() -> markdown.Markdown:
    converter = markdown.Markdown(extensions=["sane_lists", "nl2br", "fenced_code", "tables"])
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return converter


# Building a converter (loading the extensions, compiling their patterns) cost about twice as
# much as converting a note, and a timeline page converts twenty; a converter is not
# thread-safe, so each thread keeps one and resets it (references, stash) before each text.
_converters = threading.local()


def _converter() -> markdown.Markdown:
    converter = getattr(_converters, "converter", None)
    if converter is None:
        converter = _converters.converter = _new_converter()
    return converter.reset()


def _mention_as_markdown(match: re.Match) -> str:
    return "**@" + MARKDOWN_SPECIALS.sub(r"\\\1", match.group("name")) + "**"


def render_markdown(text: str) -> SafeString:
    """`text` (Markdown, mentions included) as sanitised HTML."""
    source = MENTION_TOKEN.sub(_mention_as_markdown, text or "")
    html = _converter().convert(source)
    return mark_safe(  # noqa: S308 - nh3 just removed everything outside the allow-list
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )


def plain_excerpt(text: str, length: int = 80) -> str:
    """A one-line excerpt of Markdown text for notifications (mentions shown as @Name)."""
    flat = MENTION_TOKEN.sub(lambda m: "@" + m.group("name"), text or "")
    flat = " ".join(flat.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
