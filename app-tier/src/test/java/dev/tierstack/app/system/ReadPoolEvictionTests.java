package dev.tierstack.app.system;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReadPoolEvictionTests {

	private static final Duration INTERVAL = Duration.ofSeconds(10);

	private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-03T07:00:00Z"));

	private final AtomicInteger evictions = new AtomicInteger();

	private final ReadPoolEviction eviction = new ReadPoolEviction(this.evictions::incrementAndGet, INTERVAL,
			this.now::get);

	private void later(Duration duration) {
		this.now.set(this.now.get().plus(duration));
	}

	@Test
	void aFailedConnectionReplacesThePoolAndIsEvictedItself() {
		assertThat(this.eviction.adjudicate(new SQLException("An I/O error occurred", "08006")))
			.isEqualTo(SQLExceptionOverride.Override.CONTINUE_EVICT);
		assertThat(this.evictions).hasValue(1);
	}

	@Test
	void theReadsThatFailAfterItLeaveTheFreshConnections() {
		this.eviction.adjudicate(new SQLException("timed out", "08006"));
		later(INTERVAL.minusMillis(1));
		this.eviction.adjudicate(new SQLException("timed out", "08006"));
		assertThat(this.evictions).hasValue(1);
		later(Duration.ofMillis(1));
		this.eviction.adjudicate(new SQLException("connection refused", "08001"));
		assertThat(this.evictions).hasValue(2);
	}

	@Test
	void aReadPoolWithoutAConnectionInTimeAndABrokenConnectionReplaceThePoolOnce() {
		this.eviction.replaceConnections("no connection within the read pool's timeout");
		this.eviction.adjudicate(new SQLException("timed out", "08006"));
		assertThat(this.evictions).hasValue(1);
	}

	@Test
	void statementErrorsLeaveThePoolAlone() {
		assertThat(this.eviction.adjudicate(new SQLException("canceling statement due to statement timeout", "57014")))
			.isEqualTo(SQLExceptionOverride.Override.CONTINUE_EVICT);
		this.eviction.adjudicate(new SQLException("syntax error", "42601"));
		this.eviction.adjudicate(new SQLException("no state"));
		assertThat(this.evictions).hasValue(0);
	}

}
