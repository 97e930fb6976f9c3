package dev.tierstack.web.apptier;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The time a request that may be repeated has in the app tier: a deadline for all its
 * attempts, and of it, for each attempt, how long to wait for the answer. An attempt that
 * a retry on another instance could follow waits at most an attempt's time, so that an
 * instance that does not answer leaves the retry the rest; the request's last chance
 * waits for whatever is left, as nothing could come after it. The client that retries
 * binds one per request as {@link #CURRENT} around the attempts; the attempt about to be
 * sent is the last chance once {@link #lastChance()} was called for it or one before it:
 * by the client before its one retry, and by {@link FewestInFlightLoadBalancer} when the
 * instance it chose leaves none to retry on.
 */
public final class AttemptBudget {

	/**
	 * The budget of the request being sent, bound around its attempts; read on the thread
	 * that asks for a choice of instance and then creates the attempt's request.
	 */
	public static final ScopedValue<AttemptBudget> CURRENT = ScopedValue.newInstance();

	private final long deadline;

	private final long attemptMillis;

	private final LongSupplier nanoClock;

	private volatile boolean lastChance;

	/**
	 * A budget whose deadline is {@code requestTimeout} from now.
	 * @param requestTimeout the time for all attempts
	 * @param attemptTimeout the most an attempt that is not the last chance may wait
	 */
	public AttemptBudget(Duration requestTimeout, Duration attemptTimeout) {
		this(requestTimeout, attemptTimeout, System::nanoTime);
	}

	AttemptBudget(Duration requestTimeout, Duration attemptTimeout, LongSupplier nanoClock) {
		this.nanoClock = nanoClock;
		this.deadline = nanoClock.getAsLong() + requestTimeout.toNanos();
		this.attemptMillis = attemptTimeout.toMillis();
	}

	/**
	 * Makes the attempt about to be sent, and any after it, the request's last chance.
	 */
	public void lastChance() {
		this.lastChance = true;
	}

	/**
	 * How long the attempt about to be sent may wait for its answer, in whole
	 * milliseconds: the time left to the deadline if it is the last chance, else at most
	 * an attempt's time.
	 * @return the attempt's time; zero or less when the deadline has come
	 */
	public long attemptMillis() {
		long left = TimeUnit.NANOSECONDS.toMillis(this.deadline - this.nanoClock.getAsLong());
		return this.lastChance ? left : Math.min(left, this.attemptMillis);
	}

}
