-- The runtime role may run exactly the statements the app tier runs, and no other: read the
-- catalog and orders, take stock (UPDATE of book.stock alone), insert orders and their lines.
-- It may not change a price or a title, add books, or update or delete an order.
--
-- The runtime role is whoever besides the owner may use this schema (its name is the
-- deployment's choice, see DB_APP_USER). Its earlier grants (every row statement on every
-- table, given by default privileges) are revoked first, so that a cluster created before
-- this migration ends in the same state as a new one; tables that later migrations create
-- are granted by those migrations, never by default.
DO $$
DECLARE
	runtime text;
	relation text;
BEGIN
	FOR runtime IN
		SELECT r.rolname
		FROM pg_namespace n, aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee
		WHERE n.nspname = current_schema() AND a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner
	LOOP
		EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', current_schema(), runtime);
		EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', current_schema(), runtime);
		EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', current_schema(), runtime);
		EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', current_schema(), runtime);
		FOREACH relation IN ARRAY ARRAY['book', 'purchase_order', 'order_line'] LOOP
			EXECUTE format('GRANT SELECT ON TABLE %I TO %I', relation, runtime);
		END LOOP;
		EXECUTE format('GRANT UPDATE (stock) ON TABLE book TO %I', runtime);
		EXECUTE format('GRANT INSERT ON TABLE purchase_order, order_line TO %I', runtime);
	END LOOP;
END
$$;
