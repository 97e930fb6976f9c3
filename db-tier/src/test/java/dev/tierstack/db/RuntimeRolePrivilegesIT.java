package dev.tierstack.db;

import java.sql.Connection;
import java.sql.Statement;

import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * What the runtime role of the app tier may do: read and write rows, nothing else. A
 * compromised app tier cannot change or drop the schema.
 */
@EnabledIfDockerAvailable
class RuntimeRolePrivilegesIT {

	private static final String INSUFFICIENT_PRIVILEGE = "42501";

	@Test
	void runtimeRoleReadsAndWritesRows() {
		assertThatNoException().isThrownBy(() -> Sql.inRolledBackTransaction("""
				INSERT INTO book (isbn, title, author, published_year, price, stock)
				VALUES ('9780000000002', 'A Test Title', 'A Test Author', 2024, 9.99, 5)""",
				"UPDATE book SET stock = stock - 1 WHERE isbn = '9780000000002'", """
						INSERT INTO purchase_order (id, idempotency_key, request_hash, total)
						VALUES (gen_random_uuid(), 'key-1', repeat('a', 64), 9.99)""", """
						INSERT INTO order_line (order_id, line_no, book_id, quantity, unit_price)
						SELECT o.id, 1, b.id, 1, b.price FROM purchase_order o, book b
						WHERE o.idempotency_key = 'key-1' AND b.isbn = '9780000000002'""",
				"SELECT * FROM order_line JOIN book ON book.id = order_line.book_id",
				"DELETE FROM purchase_order WHERE idempotency_key = 'key-1'",
				"DELETE FROM book WHERE isbn = '9780000000002'"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "CREATE TABLE intruder (id int)", "CREATE TABLE bookshop.intruder (id int)",
			"CREATE TABLE public.intruder (id int)", "CREATE TEMPORARY TABLE intruder (id int)",
			"CREATE SCHEMA intruder", "CREATE INDEX intruder_idx ON book (stock)",
			"CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE VIEW intruder AS SELECT 1",
			"ALTER TABLE book ADD COLUMN intruder int", "ALTER TABLE book DROP CONSTRAINT book_stock_ck",
			"DROP TABLE order_line", "DROP INDEX book_title_trgm_idx", "TRUNCATE order_line", "CREATE ROLE intruder",
			"CREATE DATABASE intruder", "ALTER ROLE tierstack_app SUPERUSER" })
	void runtimeRoleCannotChangeTheSchema(String statement) throws Exception {
		// Autocommit, as some of these (CREATE DATABASE) refuse to run inside a
		// transaction.
		try (Connection app = MigratedDatabase.app(); Statement jdbc = app.createStatement()) {
			assertThatExceptionOfType(PSQLException.class).isThrownBy(() -> jdbc.execute(statement))
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo(INSUFFICIENT_PRIVILEGE));
		}
	}

	@Test
	void neitherRoleIsPrivileged() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(Sql.column(app, """
					SELECT rolname || ':' || rolsuper || rolcreaterole || rolcreatedb || rolreplication || rolbypassrls
					FROM pg_roles WHERE rolname IN ('tierstack_app', 'tierstack_owner') ORDER BY rolname"""))
				.containsExactly("tierstack_app:falsefalsefalsefalsefalse",
						"tierstack_owner:falsefalsefalsefalsefalse");
		}
	}

	@Test
	void bothRolesResolveNamesInTheBookshopSchema() throws Exception {
		try (Connection app = MigratedDatabase.app(); Connection owner = MigratedDatabase.owner()) {
			assertThat(Sql.single(app, "SHOW search_path")).isEqualTo("bookshop");
			assertThat(Sql.single(owner, "SHOW search_path")).isEqualTo("bookshop");
			assertThat(Sql.single(app, "SELECT current_schema()")).isEqualTo("bookshop");
		}
	}

	@Test
	void runtimeRoleHasOnlyRowPrivilegesOnTheTables() throws Exception {
		try (Connection owner = MigratedDatabase.owner()) {
			assertThat(Sql.column(owner, """
					SELECT table_name || ':' || string_agg(privilege_type, ',' ORDER BY privilege_type)
					FROM information_schema.role_table_grants
					WHERE grantee = '%s' AND table_schema = 'bookshop'
					GROUP BY table_name ORDER BY table_name""".formatted(DbTierContainer.APP_USER))).containsExactly(
					"book:DELETE,INSERT,SELECT,UPDATE", "order_line:DELETE,INSERT,SELECT,UPDATE",
					"purchase_order:DELETE,INSERT,SELECT,UPDATE");
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "SELECT count(*) FROM flyway_schema_history",
			"DELETE FROM flyway_schema_history WHERE version = '4'", "UPDATE flyway_schema_history SET success = false",
			"INSERT INTO flyway_schema_history (installed_rank, description, type, script, installed_by, execution_time, success) VALUES (99, 'x', 'SQL', 'x', 'x', 0, true)" })
	void runtimeRoleCannotTouchTheMigrationHistory(String statement) throws Exception {
		try (Connection app = MigratedDatabase.app(); Statement jdbc = app.createStatement()) {
			assertThatExceptionOfType(PSQLException.class).isThrownBy(() -> jdbc.execute(statement))
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo(INSUFFICIENT_PRIVILEGE));
		}
	}

}
