"""The store: every SQL statement of the registry, one module per concern, reached through
`connection.Database` (the only module that connects to PostgreSQL)."""
