package dev.tierstack.app.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import dev.tierstack.app.AppIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The app's own DataSource connects as the runtime role, which may read and write rows
 * and nothing else: even a fully compromised app cannot change or drop the schema.
 */
@AppIntegrationTest
class RuntimeRoleIT {

	@Autowired
	private DataSource dataSource;

	@Autowired
	private JdbcClient jdbc;

	@Test
	void connectsAsTheRuntimeRoleInTheBookshopSchema() {
		assertThat(this.jdbc.sql("SELECT current_user").query(String.class).single()).isEqualTo("tierstack_app");
		assertThat(this.jdbc.sql("SELECT current_schema()").query(String.class).single()).isEqualTo("bookshop");
		assertThat(this.jdbc
			.sql("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
			.query(Boolean.class)
			.single()).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "CREATE TABLE bookshop.evil (id int)", "CREATE TABLE public.evil (id int)",
			"CREATE TABLE evil (id int)", "CREATE SCHEMA evil", "ALTER TABLE book ADD COLUMN evil int",
			"ALTER TABLE book DROP CONSTRAINT book_stock_ck", "DROP TABLE order_line", "DROP INDEX book_title_trgm_idx",
			"CREATE INDEX evil_idx ON book (title)", "TRUNCATE book CASCADE",
			"CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'" })
	void mayNotChangeTheSchema(String ddl) throws SQLException {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> statement.execute(ddl))
				.satisfies((ex) -> assertThat(ex.getSQLState()).as(ex.getMessage()).isEqualTo("42501"));
		}
	}

}
