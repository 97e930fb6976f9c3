package dev.tierstack.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

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
 * What the runtime role of the app tier may do: exactly the statements the app runs
 * (read, take stock, insert orders), nothing else. A compromised app tier cannot change
 * or drop the schema, nor change a price or an order.
 */
@EnabledIfDockerAvailable
class RuntimeRolePrivilegesIT {

	private static final String INSUFFICIENT_PRIVILEGE = "42501";

	@Test
	void runtimeRoleRunsWhatTheAppRuns() {
		assertThatNoException().isThrownBy(() -> Sql.inRolledBackTransaction(MigratedDatabase.app(),
				"SELECT * FROM book WHERE isbn = '9781900000017' FOR UPDATE",
				"UPDATE book SET stock = stock - 1 WHERE isbn = '9781900000017'", """
						INSERT INTO purchase_order (id, idempotency_key, request_hash, total)
						VALUES (gen_random_uuid(), 'key-1', repeat('a', 64), 9.99)""", """
						INSERT INTO order_line (order_id, line_no, book_id, quantity, unit_price)
						SELECT o.id, 1, b.id, 1, b.price FROM purchase_order o, book b
						WHERE o.idempotency_key = 'key-1' AND b.isbn = '9781900000017'""",
				"SELECT * FROM order_line JOIN book ON book.id = order_line.book_id",
				"SELECT 1 FROM pg_advisory_xact_lock(hashtextextended('key-1', 0))"));
	}

	/**
	 * No statement the app does not run: a compromised app tier cannot change a price,
	 * add a book, or rewrite or delete an order.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "UPDATE book SET price = 0", "UPDATE book SET title = 'x'",
			"INSERT INTO book (isbn, title, author, published_year, price, stock) VALUES ('9780000000002', 't', 'a', 2001, 1, 1)",
			"DELETE FROM book", "DELETE FROM purchase_order", "DELETE FROM order_line",
			"UPDATE purchase_order SET total = 0", "UPDATE order_line SET quantity = 1", "TRUNCATE purchase_order",
			"COPY book FROM STDIN" })
	void runtimeRoleRunsNothingElse(String statement) throws Exception {
		assertRefusedToTheRuntimeRole(statement);
	}

	@Test
	void eachRoleHasItsOwnTimeoutsAndConnectionLimit() throws Exception {
		try (Connection app = MigratedDatabase.app(); Connection owner = MigratedDatabase.owner()) {
			assertThat(List.of(Sql.single(app, "SHOW statement_timeout"), Sql.single(app, "SHOW lock_timeout"),
					Sql.single(app, "SHOW idle_in_transaction_session_timeout")))
				.containsExactly("5s", "2s", "1s");
			assertThat(List.of(Sql.single(owner, "SHOW statement_timeout"), Sql.single(owner, "SHOW lock_timeout"),
					Sql.single(owner, "SHOW idle_in_transaction_session_timeout")))
				.containsExactly("5min", "10s", "1min");
			assertThat(Sql.column(app, """
					SELECT rolname || ':' || rolconnlimit FROM pg_roles
					WHERE rolname IN ('tierstack_app', 'tierstack_owner') ORDER BY rolname"""))
				.containsExactly("tierstack_app:80", "tierstack_owner:5");
		}
	}

	@Test
	void aTransactionLeftOpenIsEnded() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			app.setAutoCommit(false);
			Sql.single(app, "SELECT count(*) FROM book");
			Thread.sleep(5_500);
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> Sql.single(app, "SELECT 1"));
		}
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
		assertRefusedToTheRuntimeRole(statement);
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
	void runtimeRoleHasExactlyTheGrantsTheAppNeeds() throws Exception {
		try (Connection owner = MigratedDatabase.owner()) {
			assertThat(Sql.column(owner, """
					SELECT table_name || ':' || string_agg(privilege_type, ',' ORDER BY privilege_type)
					FROM information_schema.role_table_grants
					WHERE grantee = '%s' AND table_schema = 'bookshop'
					GROUP BY table_name ORDER BY table_name""".formatted(DbTierContainer.APP_USER)))
				.containsExactly("book:SELECT", "order_line:INSERT,SELECT", "purchase_order:INSERT,SELECT");
			assertThat(Sql.column(owner, """
					SELECT table_name || '.' || column_name FROM information_schema.column_privileges
					WHERE grantee = '%s' AND table_schema = 'bookshop' AND privilege_type = 'UPDATE'"""
				.formatted(DbTierContainer.APP_USER))).containsExactly("book.stock");
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "SELECT count(*) FROM flyway_schema_history",
			"DELETE FROM flyway_schema_history WHERE version = '4'", "UPDATE flyway_schema_history SET success = false",
			"INSERT INTO flyway_schema_history (installed_rank, description, type, script, installed_by, execution_time, success) VALUES (99, 'x', 'SQL', 'x', 'x', 0, true)" })
	void runtimeRoleCannotTouchTheMigrationHistory(String statement) throws Exception {
		assertRefusedToTheRuntimeRole(statement);
	}

	/**
	 * Runs the statement as the runtime role, in autocommit (some, such as CREATE
	 * DATABASE, refuse to run inside a transaction), and expects it refused for lack of
	 * privilege.
	 */
	private static void assertRefusedToTheRuntimeRole(String statement) throws Exception {
		try (Connection app = MigratedDatabase.app(); Statement jdbc = app.createStatement()) {
			assertThatExceptionOfType(PSQLException.class).isThrownBy(() -> jdbc.execute(statement))
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo(INSUFFICIENT_PRIVILEGE));
		}
	}

}
