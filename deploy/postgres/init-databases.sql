-- Runs once, when the compose Postgres volume is created: one database per app, so each keeps its
-- own migrations (kysely_migration) without colliding.
CREATE DATABASE control_center;
CREATE DATABASE memory;
CREATE DATABASE deploy_mcp;
