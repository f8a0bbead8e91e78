"""The search layer: in-memory indexes of every collection's faces, kept in step with PostgreSQL
through the store. No SQL here: where it needs rows, it asks `facerec_registry.store`."""
