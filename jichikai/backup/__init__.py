"""Backups of the embedded setup (SQLite in the instance folder) and their restore.

Commands only (`flask backup ...`, see cli.py); no pages. docs/operations.md, "Backups".
"""
