"""Server-rendered mobile web pages: Jinja2 templates, small vanilla JS, one CSS file."""
