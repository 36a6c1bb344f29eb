-- Runs once, when the compose Postgres volume is created: one database per app, to keep each app's
-- data apart. (Apps could also share one: each keeps its migrations in its own <app>_migration table.)
CREATE DATABASE control_center;
CREATE DATABASE memory;
CREATE DATABASE deploy_mcp;
