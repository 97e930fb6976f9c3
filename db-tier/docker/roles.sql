-- The database, its schema and the roles of tierstack, run once on a new cluster as the
-- superuser, by the entrypoint (a standalone server) or by Patroni's post_bootstrap (a
-- cluster). psql variables: owner, app, db, schema, replicator; passwords from the
-- environment (OWNER_PASSWORD, APP_PASSWORD, REPLICATION_PASSWORD: empty for no role).
\getenv owner_password OWNER_PASSWORD
\getenv app_password APP_PASSWORD
\getenv replication_password REPLICATION_PASSWORD

-- The owner runs the migrations; the runtime role runs the app's statements, granted by them.
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
ALTER ROLE :"owner" SET search_path = :"schema";
ALTER ROLE :"app" SET search_path = :"schema";
-- Limits per role (docs/design.md, "The runtime role runs exactly the app's statements").
ALTER ROLE :"app" SET statement_timeout = '5s';
ALTER ROLE :"app" SET lock_timeout = '2s';
ALTER ROLE :"app" SET idle_in_transaction_session_timeout = '1s';
ALTER ROLE :"app" CONNECTION LIMIT 80;
ALTER ROLE :"owner" SET statement_timeout = '5min';
ALTER ROLE :"owner" SET lock_timeout = '10s';
ALTER ROLE :"owner" SET idle_in_transaction_session_timeout = '1min';
ALTER ROLE :"owner" CONNECTION LIMIT 5;

CREATE DATABASE :"db" OWNER :"owner";
-- PUBLIC would otherwise get CONNECT and TEMPORARY: only the two roles may connect.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";

\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA :"schema" AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"app";
-- The runtime role's rights on each table are granted by the migrations, statement by
-- statement (V6__runtime_role_least_privilege.sql), never by default.

-- Streaming replicas copy and follow the whole cluster with this role; it reads no tables.
SELECT :'replication_password' <> '' AS with_replication \gset
\if :with_replication
CREATE ROLE :"replicator" LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'replication_password';
\endif
