package dev.tierstack.app;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.hibernate.resource.jdbc.spi.StatementInspector;

/**
 * Keeps the SQL Hibernate sends, so a test can ask PostgreSQL for the plan of exactly
 * that statement.
 */
public class RecordingStatementInspector implements StatementInspector {

	private static final List<String> STATEMENTS = new CopyOnWriteArrayList<>();

	@Override
	public String inspect(String sql) {
		STATEMENTS.add(sql);
		if (STATEMENTS.size() > 200) {
			STATEMENTS.remove(0);
		}
		return sql;
	}

	public static List<String> statements() {
		return List.copyOf(STATEMENTS);
	}

}
