"""A lesson's markdown as HTML: CommonMark with raw HTML off, so whatever a lesson file
says is shown as text, never run as markup; markdown-it also refuses javascript: and
data: links."""

from __future__ import annotations

from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> SafeString:
    return mark_safe(_renderer.render(text))  # noqa: S308  (html off: nothing raw passes)
