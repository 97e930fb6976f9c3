package dev.tierstack.app.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import com.zaxxer.hikari.SQLExceptionOverride;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willReturn;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

class ReplicaFallbackTests {

	private static final Duration INTERVAL = Duration.ofSeconds(10);

	private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-04T07:00:00Z"));

	private final AtomicInteger replacements = new AtomicInteger();

	private final DataSource replica = mock();

	private final DataSource primary = mock();

	private final List<Connection> primaryConnections = new ArrayList<>();

	private final AtomicBoolean readPoolReady = new AtomicBoolean(true);

	private final ReplicaFallback fallback = new ReplicaFallback(this.replica, this.primary,
			this.replacements::incrementAndGet, this.readPoolReady::get, INTERVAL, this.now::get);

	ReplicaFallbackTests() throws SQLException {
		given(this.replica.getConnection()).willAnswer((invocation) -> mock(Connection.class));
		given(this.primary.getConnection()).willAnswer((invocation) -> {
			Connection connection = mock();
			this.primaryConnections.add(connection);
			return connection;
		});
	}

	private void later(Duration duration) {
		this.now.set(this.now.get().plus(duration));
	}

	@Test
	void readsUseTheReadPoolWhileItServes() throws SQLException {
		this.fallback.getConnection();
		this.fallback.getConnection();
		assertThat(this.primaryConnections).isEmpty();
		assertThat(this.replacements).hasValue(0);
	}

	@Test
	void aReadPoolWithoutAConnectionInTimeSendsThisReadAndTheNextOnesToThePrimaryForTheInterval() throws SQLException {
		willThrow(new SQLTransientConnectionException("app-read - Connection is not available")).given(this.replica)
			.getConnection();
		Connection connection = this.fallback.getConnection();
		assertThat(this.primaryConnections).containsExactly(connection);
		verify(connection).setReadOnly(true);
		assertThat(this.replacements).hasValue(1);
		later(INTERVAL.minusMillis(1));
		this.fallback.getConnection();
		verify(this.replica).getConnection();
		assertThat(this.primaryConnections).hasSize(2);
		later(Duration.ofMillis(1));
		Connection replicaConnection = mock();
		willReturn(replicaConnection).given(this.replica).getConnection();
		this.fallback.getConnection();
		assertThat(this.primaryConnections).hasSize(2);
	}

	@Test
	void aFailureOfThePrimaryEndsTheFallback() throws SQLException {
		Connection replicaConnection = mock();
		willThrow(new SQLTransientConnectionException("app-read")).willReturn(replicaConnection)
			.given(this.replica)
			.getConnection();
		this.fallback.getConnection();
		SQLExceptionOverride primaryFailures = this.fallback.primaryFailures();
		primaryFailures.adjudicate(new SQLException("canceling statement due to lock timeout", "55P03"));
		this.fallback.getConnection();
		assertThat(this.primaryConnections).hasSize(2);
		assertThat(primaryFailures.adjudicate(new SQLException("An I/O error occurred", "08006")))
			.isEqualTo(SQLExceptionOverride.Override.CONTINUE_EVICT);
		this.fallback.getConnection();
		assertThat(this.primaryConnections).hasSize(2);
	}

	@Test
	void whenThePrimaryHasNoConnectionEitherTheReadFailsWithItsError() throws SQLException {
		willThrow(new SQLTransientConnectionException("app-read")).given(this.replica).getConnection();
		willThrow(new SQLTransientConnectionException("app - Connection is not available")).given(this.primary)
			.getConnection();
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection)
			.withMessageStartingWith("app - ")
			.satisfies((ex) -> assertThat(ex.getSuppressed()).singleElement()
				.extracting(Throwable::getMessage)
				.isEqualTo("app-read"));
	}

	@Test
	void aBusyPrimaryPoolWhileTheReadPoolHasNoConnectionReadyFailsTheReadAndTheFallbackGoesOn() throws SQLException {
		this.readPoolReady.set(false);
		willThrow(new SQLTransientConnectionException("app-read")).given(this.replica).getConnection();
		Connection primaryConnection = mock();
		willThrow(new SQLTransientConnectionException("app - Connection is not available"))
			.willReturn(primaryConnection)
			.given(this.primary)
			.getConnection();
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection)
			.withMessageStartingWith("app - ");
		assertThat(this.fallback.getConnection()).isSameAs(primaryConnection);
		verify(this.replica).getConnection();
	}

	@Test
	void duringTheFallbackABusyPrimaryPoolWhileTheReadPoolHasNoConnectionReadyFailsTheReadAlone() throws SQLException {
		this.readPoolReady.set(false);
		willThrow(new SQLTransientConnectionException("app-read")).given(this.replica).getConnection();
		Connection first = mock();
		Connection third = mock();
		willReturn(first).willThrow(new SQLTransientConnectionException("app - Connection is not available"))
			.willReturn(third)
			.given(this.primary)
			.getConnection();
		assertThat(this.fallback.getConnection()).isSameAs(first);
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection)
			.withMessageStartingWith("app - ")
			.satisfies((ex) -> assertThat(ex.getSuppressed()).isEmpty());
		assertThat(this.fallback.getConnection()).isSameAs(third);
		verify(this.replica).getConnection();
	}

	@Test
	void whenTheReadPoolFailsAgainAfterThePrimaryFailedTheReadFailsWithBothErrors() throws SQLException {
		willThrow(new SQLTransientConnectionException("app-read"))
			.willThrow(new SQLTransientConnectionException("app-read again"))
			.given(this.replica)
			.getConnection();
		Connection first = mock();
		willReturn(first).willThrow(new SQLTransientConnectionException("app - not available", "08001"))
			.given(this.primary)
			.getConnection();
		assertThat(this.fallback.getConnection()).isSameAs(first);
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection)
			.withMessage("app-read again")
			.satisfies((ex) -> assertThat(ex.getSuppressed()).singleElement()
				.extracting(Throwable::getMessage)
				.isEqualTo("app - not available"));
	}

	@Test
	void aPrimaryPoolThatCouldMakeNoConnectionEndsTheFallbackWhateverTheReadPool() throws SQLException {
		this.readPoolReady.set(false);
		Connection replicaConnection = mock();
		willThrow(new SQLTransientConnectionException("app-read")).willReturn(replicaConnection)
			.given(this.replica)
			.getConnection();
		Connection primaryConnection = mock();
		willReturn(primaryConnection)
			.willThrow(new SQLTransientConnectionException("app - not available", "08001", new SQLException("login")))
			.given(this.primary)
			.getConnection();
		assertThat(this.fallback.getConnection()).isSameAs(primaryConnection);
		assertThat(this.fallback.getConnection()).isSameAs(replicaConnection);
		this.fallback.getConnection();
		verify(this.primary, times(2)).getConnection();
	}

	@Test
	void aConnectionFailureOfThePrimaryKeepsReadsOnTheReadPoolForTheInterval() throws SQLException {
		this.fallback.primaryFailures().adjudicate(new SQLException("An I/O error occurred", "08006"));
		willThrow(new SQLTransientConnectionException("app-read")).given(this.replica).getConnection();
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection);
		assertThat(this.primaryConnections).isEmpty();
		assertThat(this.replacements).hasValue(1);
		later(INTERVAL);
		this.fallback.getConnection();
		assertThat(this.primaryConnections).hasSize(1);
	}

	@Test
	void whenThePrimaryFailsTheReadsStayOnTheReadPoolForTheInterval() throws SQLException {
		Connection replicaConnection = mock();
		willThrow(new SQLTransientConnectionException("app-read")).willReturn(replicaConnection)
			.willThrow(new SQLTransientConnectionException("app-read"))
			.given(this.replica)
			.getConnection();
		Connection primaryConnection = mock();
		willReturn(primaryConnection).willThrow(new SQLTransientConnectionException("app - not available"))
			.given(this.primary)
			.getConnection();
		assertThat(this.fallback.getConnection()).isSameAs(primaryConnection);
		assertThat(this.fallback.getConnection()).isSameAs(replicaConnection);
		assertThatExceptionOfType(SQLTransientConnectionException.class).isThrownBy(this.fallback::getConnection)
			.withMessage("app-read");
		verify(this.primary, times(2)).getConnection();
		later(INTERVAL);
		willReturn(primaryConnection).given(this.primary).getConnection();
		assertThat(this.fallback.getConnection()).isSameAs(primaryConnection);
		assertThat(this.replacements).as("replaced at each read pool timeout, the rate limit being ReadPoolEviction's")
			.hasValue(3);
	}

	@Test
	void aPrimaryConnectionThatCannotBeMadeReadOnlyIsClosed() throws SQLException {
		willThrow(new SQLTransientConnectionException("app-read")).given(this.replica).getConnection();
		Connection connection = mock();
		willThrow(new SQLException("closed", "08003")).given(connection).setReadOnly(true);
		given(this.primary.getConnection()).willReturn(connection);
		assertThatExceptionOfType(SQLException.class).isThrownBy(this.fallback::getConnection);
		verify(connection).close();
	}

}
