"""Helpers the templates use to show dates the way customers read them."""

from datetime import date


def register(app):
    app.add_template_filter(day)
    app.add_template_global(date.today, "today")


def day(value):
    """Show a date or time as a day, such as 26 November 2026."""
    return f"{value.day} {value:%B %Y}"
