from django import template
from django.utils.safestring import SafeString

from lessons.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown(text: str) -> SafeString:
    """{{ step.body|markdown }}: a lesson's markdown, raw HTML off."""
    return render_markdown(str(text))
