-- The database, its schema and the roles of tierstack, run once on a new cluster as the
-- superuser, by the entrypoint (a standalone server) or by Patroni's post_bootstrap (a
-- cluster). psql variables: owner, app, db, schema, replicator; passwords from the
-- environment (OWNER_PASSWORD, APP_PASSWORD, REPLICATION_PASSWORD: empty for no role).
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD
\getenv replication_password REPLICATION_PASSWORD

-- The owner runs the migrations; the runtime role only reads and writes rows.
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
ALTER ROLE :"owner" SET search_path = :"schema";
ALTER ROLE :"app" SET search_path = :"schema";

CREATE DATABASE :"db" OWNER :"owner";
-- PUBLIC would otherwise get CONNECT and TEMPORARY: only the two roles may connect.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";

\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA :"schema" AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"app";
-- Tables and sequences the owner creates later (through Flyway) are usable by the runtime role.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- Streaming replicas copy and follow the whole cluster with this role; it reads no tables.
SELECT :'replication_password' <> '' AS with_replication \gset
\if :with_replication
CREATE ROLE :"replicator" LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'replication_password';
\endif
