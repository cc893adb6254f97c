"""Renderers: findings and plans in, text/JSON/SARIF/HTML/Markdown out. No analysis here."""
