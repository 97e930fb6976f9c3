package dev.tierstack.app.system;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * When a connection of the read pool fails for a connection reason (SQLSTATE class 08:
 * its member died, hangs, or is cut off from this node), every connection of the pool is
 * replaced, not only that one: the others go to the same member, and each would cost a
 * read the driver's socket timeout before the catalog's retry. The driver opens the new
 * ones to a member that answers ({@code targetServerType=preferSecondary} skips a member
 * whose login failed, for {@code hostRecheckSeconds}): the replica, or the primary while
 * the replica cannot serve.
 * <p>
 * At most once per {@code interval}: the reads that were already waiting on the failed
 * member fail one by one after it, and must not throw away the fresh connections.
 * {@link ReplicaFallback} asks for the same when the read pool has no connection in time.
 * <p>
 * Registered on the read pool as its {@link SQLExceptionOverride}, which Hikari asks
 * about every exception a connection throws; Hikari evicts the failed connection itself,
 * as it would have without it.
 */
final class ReadPoolEviction implements SQLExceptionOverride {

	private static final Log logger = LogFactory.getLog(ReadPoolEviction.class);

	private final Runnable evictConnections;

	private final Duration interval;

	private final InstantSource clock;

	private final AtomicReference<Instant> quietUntil = new AtomicReference<>(Instant.MIN);

	ReadPoolEviction(Runnable evictConnections, Duration interval, InstantSource clock) {
		this.evictConnections = evictConnections;
		this.interval = interval;
		this.clock = clock;
	}

	@java.lang.Override
	public SQLExceptionOverride.Override adjudicate(SQLException failure) {
		if (isConnectionFailure(failure)) {
			replaceConnections(
					"a read connection failed (" + failure.getSQLState() + ": " + failure.getMessage() + ")");
		}
		return SQLExceptionOverride.Override.CONTINUE_EVICT;
	}

	/** SQLSTATE class 08: the member under the connection died, hangs, or is cut off. */
	static boolean isConnectionFailure(SQLException failure) {
		return failure.getSQLState() != null && failure.getSQLState().startsWith("08");
	}

	/**
	 * Replaces every connection of the read pool, unless that was done less than
	 * {@code interval} ago.
	 */
	void replaceConnections(String reason) {
		Instant now = this.clock.instant();
		Instant quiet = this.quietUntil.get();
		if (!now.isBefore(quiet) && this.quietUntil.compareAndSet(quiet, now.plus(this.interval))) {
			logger.warn("Replacing every connection of the read pool: " + reason);
			this.evictConnections.run();
		}
	}

}
