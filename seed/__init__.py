"""Reference data (municipalities, fields) and demo data, with idempotent loaders."""

from .loader import (
    DATA_DIR,
    demo_challenges,
    demo_organizations,
    demo_users,
    load_demo,
    load_demo_projects,
    load_reference,
    municipality_regions,
)

__all__ = ["DATA_DIR", "demo_challenges", "demo_organizations", "demo_users", "load_demo", "load_demo_projects", "load_reference", "municipality_regions"]
