"""Registry service: owns PostgreSQL (pgvector) and every matching decision."""
