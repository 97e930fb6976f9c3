package dev.tierstack.app.system;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;

import org.springframework.orm.jpa.JpaSystemException;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseUnavailableTests {

	private static RuntimeException translated(SQLException cause) {
		return new JpaSystemException(new RuntimeException("JDBC exception executing SQL", cause));
	}

	@Test
	void aMemberThatEndedAStalledTransactionIsUnavailableNotABug() {
		SQLException idle = new SQLException("FATAL: terminating connection due to idle-in-transaction timeout",
				"25P03");
		assertThat(DatabaseUnavailable.isCause(translated(idle))).isTrue();
		assertThat(new DatabaseUnavailable().shouldRetry(null, translated(idle))).isTrue();
	}

	@Test
	void brokenConnectionsAndDemotedMembersAreUnavailable() {
		assertThat(DatabaseUnavailable.isCause(translated(new SQLException("I/O error", "08006")))).isTrue();
		assertThat(DatabaseUnavailable.isCause(translated(new SQLException("shutdown", "57P01")))).isTrue();
		assertThat(DatabaseUnavailable.isCause(translated(new SQLException("read-only", "25006")))).isTrue();
	}

	@Test
	void aPoolThatWaitedItsWholeTimeoutIsNotRetried() {
		RuntimeException noConnection = translated(new SQLTransientConnectionException("not available"));
		assertThat(DatabaseUnavailable.isCause(noConnection)).isTrue();
		assertThat(new DatabaseUnavailable().shouldRetry(null, noConnection)).isFalse();
	}

	@Test
	void constraintViolationsAreNotOutages() {
		assertThat(DatabaseUnavailable.isCause(translated(new SQLException("duplicate key", "23505")))).isFalse();
	}

}
