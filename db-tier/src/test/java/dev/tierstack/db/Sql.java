package dev.tierstack.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Small JDBC helpers for the integration tests.
 */
final class Sql {

	private Sql() {
	}

	/** The first column of every row, as text. */
	static List<String> column(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
			List<String> values = new ArrayList<>();
			while (rows.next()) {
				values.add(rows.getString(1));
			}
			return values;
		}
	}

	/** The first column of the only row, as text. */
	static String single(Connection connection, String sql) throws SQLException {
		List<String> values = column(connection, sql);
		if (values.size() != 1) {
			throw new IllegalStateException(values.size() + " rows from " + sql);
		}
		return values.get(0);
	}

	/** The plan PostgreSQL chooses for a statement, one line per plan node. */
	static String explain(Connection connection, String sql) throws SQLException {
		return String.join("\n", column(connection, "EXPLAIN " + sql));
	}

	/**
	 * Runs the statements on the connection (then closed) in one transaction that is
	 * always rolled back, so nothing a test writes survives it.
	 */
	static void inRolledBackTransaction(Connection opened, String... statements) throws SQLException {
		try (Connection connection = opened) {
			connection.setAutoCommit(false);
			try (Statement statement = connection.createStatement()) {
				for (String sql : statements) {
					statement.execute(sql);
				}
			}
			finally {
				connection.rollback();
			}
		}
	}

}
