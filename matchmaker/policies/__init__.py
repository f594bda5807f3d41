"""Who may see and do what: one small policy module per resource, beside the actions.

Actions enforce these predicates, query functions filter by them, and views and templates only
ask them to hide what an action would refuse anyway.
"""
