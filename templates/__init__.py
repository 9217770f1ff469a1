"""Message and view templates (jinja2) and their translations; data files only."""
