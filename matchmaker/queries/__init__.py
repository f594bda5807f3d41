"""The read layer: what each page shows, with visibility applied, in a fixed number of queries.

Each function takes a session and the viewing actor, filters with the policies' SQL clauses (so
nothing the actor may not open is loaded, listed or counted) and eager-loads what its page shows,
so the number of queries does not grow with the data. Views never build select() themselves.
"""
