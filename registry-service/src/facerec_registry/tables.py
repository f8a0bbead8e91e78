"""Kept only for migrations/env.py (released migrations are not edited), which imports `Base`
from here: the mapping lives in `facerec_registry.store.tables`."""

from facerec_registry.store.tables import Base

__all__ = ["Base"]
