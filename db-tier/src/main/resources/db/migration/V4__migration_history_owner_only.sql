-- The migration history is the schema owner's alone. The default privileges that give the
-- runtime role row access to every table the owner creates also covered the table Flyway
-- created for its history, so a compromised app tier could have rewritten which migrations
-- count as applied. Revoked from whoever holds a grant on it (the runtime role's name is
-- the deployment's choice, see DB_APP_USER).
DO $$
DECLARE
	holder text;
BEGIN
	FOR holder IN
		SELECT DISTINCT grantee FROM information_schema.role_table_grants
		WHERE table_schema = current_schema() AND table_name = 'flyway_schema_history' AND grantee <> current_user
	LOOP
		EXECUTE format('REVOKE ALL ON TABLE %I.flyway_schema_history FROM %I', current_schema(), holder);
	END LOOP;
END
$$;
