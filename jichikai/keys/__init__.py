"""Keys every web and worker process must share: from settings, else from the database.

See docs/operations.md, "Keys shared by every process". A key is never kept only in one
machine's instance folder: a file there is read once, to seed the database's copy, so that
what was issued with it (push subscriptions, login codes, LINE credentials) keeps working.
"""
