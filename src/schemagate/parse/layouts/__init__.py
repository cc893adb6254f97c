"""Layouts: how each migration tool names, orders and wraps its files."""
