"""Renderers: the same result objects as rich text, JSON, markdown or iCalendar."""
