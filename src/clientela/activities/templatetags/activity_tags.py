from django import template

from clientela.activities.rendering import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    """User Markdown as sanitised HTML (see activities.rendering)."""
    return render_markdown(text)
