package dev.tierstack.app.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import javax.sql.DataSource;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * Where read-only transactions get their connection: the read pool, or the primary for a
 * while after the read pool had none in time.
 * <p>
 * A replica that hangs fails the read pool's connections to it one at a time, and each
 * failure costs a read a second: a statement's socket timeout, or a borrowed connection's
 * validation, which Hikari repeats on the next idle one. On JVMs just started, reads
 * queued behind such connections waited out the pool's timeout and failed in hundreds. So
 * a read for which the read pool has no connection within its timeout is served by the
 * primary, and so are the reads after it for {@code interval}, while the read pool's
 * connections are replaced ({@link ReadPoolEviction}); then reads go back to it.
 * <p>
 * A read whose connection broke is not sent to the primary: the member under it may be
 * the primary (the read pool takes the primary while no replica answers, and keeps those
 * connections until their lifetime ends), and the catalog's retry on the replaced read
 * pool takes whichever member answers. For the same reason a primary that fails
 * ({@link #primaryFailed()}: its pool had no connection in time for a read sent to it, or
 * any of its connections failed, an order's too) ends the fallback at once, and keeps
 * reads on the read pool for {@code interval}: when the primary hangs, the read pool's
 * connections to it break, the pool is replaced, and the reads waiting for its refill
 * must not be sent to the hung primary. A primary's pool that was only busy does not end
 * it while the read pool has no connection ready either: on JVMs just started both pools
 * grow one login at a time, and reads sent back to the read pool then failed in hundreds.
 * <p>
 * A connection of the primary handed out here is read-only, as the replica's are, and
 * keeps the write URL's socket timeout, not the longer network timeout a write gets. If
 * the primary cannot give one either, its failure is the read's.
 */
final class ReplicaFallback extends DelegatingDataSource {

	private static final Log logger = LogFactory.getLog(ReplicaFallback.class);

	private final DataSource primary;

	private final Runnable replaceReadPool;

	private final BooleanSupplier readPoolReady;

	private final Duration interval;

	private final InstantSource clock;

	private final AtomicReference<Routing> routing = new AtomicReference<>(new Routing(Instant.MIN, Instant.MIN));

	ReplicaFallback(DataSource replica, DataSource primary, Runnable replaceReadPool, BooleanSupplier readPoolReady,
			Duration interval, InstantSource clock) {
		super(replica);
		this.primary = primary;
		this.replaceReadPool = replaceReadPool;
		this.readPoolReady = readPoolReady;
		this.interval = interval;
		this.clock = clock;
	}

	@Override
	public Connection getConnection() throws SQLException {
		if (this.routing.get().toPrimary(this.clock.instant())) {
			return fromPrimary(null);
		}
		try {
			return super.getConnection();
		}
		catch (SQLException ex) {
			if (!replicaFailed(ex)) {
				throw ex;
			}
			return fromPrimary(ex);
		}
	}

	/**
	 * A read-only connection of the primary. If the primary has none either, the fallback
	 * ends, and a read that has not yet waited for the read pool tries it once more;
	 * unless the primary's pool only had no connection free in time while the read pool
	 * has no connection ready either: then the read fails, and the fallback goes on. Only
	 * busy: a timeout without SQLSTATE (every connection in use, or the pool still
	 * growing, as on a JVM just started). After a failed login or validation Hikari gives
	 * its timeouts that failure's SQLSTATE, until a login succeeds.
	 */
	private Connection fromPrimary(SQLException readPoolFailure) throws SQLException {
		Connection connection;
		try {
			connection = this.primary.getConnection();
		}
		catch (SQLException ex) {
			if (ex.getSQLState() != null || this.readPoolReady.getAsBoolean()) {
				primaryFailed();
				if (readPoolFailure == null) {
					return fromReadPoolAfter(ex);
				}
			}
			if (readPoolFailure != null) {
				ex.addSuppressed(readPoolFailure);
			}
			throw ex;
		}
		return readOnly(connection);
	}

	private Connection fromReadPoolAfter(SQLException primaryFailure) throws SQLException {
		try {
			return super.getConnection();
		}
		catch (SQLException ex) {
			ex.addSuppressed(primaryFailure);
			throw ex;
		}
	}

	/**
	 * Has the read pool's connections replaced, and sends reads to the primary for the
	 * next {@code interval}, unless the primary failed less than {@code interval} ago.
	 * Whether this read goes to the primary.
	 */
	private boolean replicaFailed(SQLException failure) {
		this.replaceReadPool.run();
		Instant now = this.clock.instant();
		Routing before = this.routing.getAndUpdate((routing) -> routing.readPoolOnly(now) || routing.toPrimary(now)
				? routing : new Routing(now.plus(this.interval), routing.readPoolOnlyUntil()));
		if (before.readPoolOnly(now)) {
			return false;
		}
		if (!before.toPrimary(now)) {
			logger.warn("The read pool had no connection in time (" + failure.getMessage()
					+ "); reads go to the primary for " + this.interval.toSeconds() + " s");
		}
		return true;
	}

	/**
	 * Ends the fallback, and keeps reads on the read pool for the next {@code interval}:
	 * the primary's connections are failing too.
	 */
	void primaryFailed() {
		Instant now = this.clock.instant();
		Instant readPoolOnlyUntil = now.plus(this.interval);
		Routing before = this.routing
			.getAndUpdate((routing) -> new Routing(Instant.MIN, readPoolOnlyUntil.isAfter(routing.readPoolOnlyUntil())
					? readPoolOnlyUntil : routing.readPoolOnlyUntil()));
		if (before.toPrimary(now)) {
			logger.warn("The primary failed too; reads stay on the read pool for " + this.interval.toSeconds() + " s");
		}
	}

	/**
	 * For the primary's pool: a connection failure there (SQLSTATE class 08) ends the
	 * fallback.
	 */
	SQLExceptionOverride primaryFailures() {
		return new SQLExceptionOverride() {

			@java.lang.Override
			public SQLExceptionOverride.Override adjudicate(SQLException failure) {
				if (ReadPoolEviction.isConnectionFailure(failure)) {
					primaryFailed();
				}
				return SQLExceptionOverride.Override.CONTINUE_EVICT;
			}

		};
	}

	private static Connection readOnly(Connection connection) throws SQLException {
		try {
			connection.setReadOnly(true);
			return connection;
		}
		catch (SQLException | RuntimeException ex) {
			try {
				connection.close();
			}
			catch (SQLException | RuntimeException closing) {
				ex.addSuppressed(closing);
			}
			throw ex;
		}
	}

	/**
	 * Until when reads go to the primary, and until when they stay on the read pool
	 * whatever happens to it; the second wins.
	 */
	private record Routing(Instant primaryUntil, Instant readPoolOnlyUntil) {

		boolean toPrimary(Instant now) {
			return now.isBefore(this.primaryUntil) && !readPoolOnly(now);
		}

		boolean readPoolOnly(Instant now) {
			return now.isBefore(this.readPoolOnlyUntil);
		}

	}

}
