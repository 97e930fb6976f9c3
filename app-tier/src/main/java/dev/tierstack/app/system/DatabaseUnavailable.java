package dev.tierstack.app.system;

import java.lang.reflect.Method;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.function.Predicate;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.resilience.retry.MethodRetryPredicate;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * Whether a failure means that the database could not be used just now, rather than a bug
 * or a client's mistake: no member answered, a pooled connection broke (its member died
 * or restarted), or the member under a connection no longer accepts writes (demoted in a
 * failover). Such a request is answered 503 with {@code Retry-After}, and read-only work
 * is retried on a fresh connection first.
 */
public final class DatabaseUnavailable implements MethodRetryPredicate {

	/**
	 * Retry a broken connection, not a pool that waited its whole connection timeout
	 * ({@link SQLTransientConnectionException}): then no member could be had, and waiting
	 * again would only make the client wait longer for the same 503.
	 */
	@Override
	public boolean shouldRetry(Method method, Throwable failure) {
		return isCause(failure) && !anyCause(failure, SQLTransientConnectionException.class::isInstance);
	}

	public static boolean isCause(Throwable failure) {
		return anyCause(failure, DatabaseUnavailable::isUnavailable);
	}

	private static boolean isUnavailable(Throwable cause) {
		return cause instanceof CannotCreateTransactionException || cause instanceof DataAccessResourceFailureException
				|| cause instanceof TransientDataAccessResourceException
				|| cause instanceof SQLTransientConnectionException
				|| cause instanceof SQLNonTransientConnectionException
				|| (cause instanceof SQLException sql && sql.getSQLState() != null && isUnavailable(sql.getSQLState()));
	}

	private static boolean anyCause(Throwable failure, Predicate<Throwable> test) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (test.test(cause)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * SQLSTATE class 08 (connection exception), 57P01-57P03 (administrator or crash
	 * shutdown, cannot connect now), 25006 (read-only transaction: a demoted member) and
	 * 25P03 (the member ended a transaction that waited too long between two statements,
	 * idle_in_transaction_session_timeout: this node stalled, and nothing was committed).
	 */
	private static boolean isUnavailable(String sqlState) {
		return sqlState.startsWith("08") || sqlState.startsWith("57P") || sqlState.equals("25006")
				|| sqlState.equals("25P03");
	}

}
