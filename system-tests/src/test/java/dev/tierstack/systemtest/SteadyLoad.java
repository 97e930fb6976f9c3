package dev.tierstack.systemtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An open-loop stream of requests at a fixed rate (each request leaves on its schedule,
 * whether or not earlier ones have answered, so an outage shows as failures and latency
 * instead of silently slowing the stream down), with an action run alongside it: kill a
 * node, restart replicas. Bounded: it stops at {@code maxDuration} whatever happens.
 */
final class SteadyLoad {

	/**
	 * What became of one request; times in nanoseconds of {@link System#nanoTime()}.
	 * {@code error} is the kind of failure (the exception's class), {@code detail} what
	 * it said.
	 */
	record Outcome(long index, String target, long sentNanos, long doneNanos, int status, String error, String detail,
			String webNode, String appNode, String lbNode, String webVersion, boolean retried) {

		boolean ok() {
			return this.error == null && this.status >= 200 && this.status < 400;
		}

		long latencyNanos() {
			return this.doneNanos - this.sentNanos;
		}

	}

	/**
	 * The action run alongside the stream, started {@code at} after the first request.
	 */
	interface Action {

		void run(AtomicLong eventNanos) throws Exception;

	}

	private static final long MAX_LATENESS_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	/**
	 * A scenario starts only when the stack has served one window of the stream with no
	 * failure and a p99 under {@link #STEADY_P99}: a node killed or restarted by the
	 * scenario before comes back cold, and a stack that is still catching up has no
	 * margin for the next node to go.
	 */
	static final Duration STEADY_WINDOW = Duration.ofSeconds(4);

	static final Duration STEADY_P99 = Duration.ofMillis(500);

	/**
	 * The share of due requests a run must have sent for its figures to count: below it,
	 * the host could not keep the stream at its rate.
	 */
	static final double MIN_SENT_OF_DUE = 0.95;

	/** After this long the scenario starts anyway, steady or not; the results say so. */
	static final Duration STEADY_MAX_WAIT = Duration.ofSeconds(90);

	private final HttpClient client;

	private final LongFunction<HttpRequest> requests;

	private final int ratePerSecond;

	private final Duration attemptTimeout;

	SteadyLoad(HttpClient client, LongFunction<HttpRequest> requests, int ratePerSecond) {
		this(client, requests, ratePerSecond, null);
	}

	private SteadyLoad(HttpClient client, LongFunction<HttpRequest> requests, int ratePerSecond,
			Duration attemptTimeout) {
		this.client = client;
		this.requests = requests;
		this.ratePerSecond = ratePerSecond;
		this.attemptTimeout = attemptTimeout;
	}

	/**
	 * The same stream from a client that gives each attempt {@code attemptTimeout} and
	 * then sends the (idempotent) request once more, as an application with a deadline
	 * does: what no server can answer (a request held by a process that stopped) costs it
	 * one attempt, not the request. A broken connection is replaced at once (see
	 * {@link #retry}).
	 */
	SteadyLoad retryingAfter(Duration attemptTimeout) {
		return new SteadyLoad(this.client, this.requests, this.ratePerSecond, attemptTimeout);
	}

	/**
	 * What the scenarios' stream asks for through the VIP: catalog search, a book, the
	 * catalog page, a book page.
	 */
	static LongFunction<HttpRequest> catalogReads(String vip, List<String> isbns) {
		return (i) -> {
			String isbn = isbns.get((int) (i % isbns.size()));
			String path = switch ((int) (i % 4)) {
				case 0 -> "/api/books?q=" + isbn.substring(9) + "&size=5";
				case 1 -> "/api/books/" + isbn;
				case 2 -> "/?page=" + (i % 50);
				default -> "/books/" + isbn;
			};
			// Past the load balancer's copy of a catalog page: the scenarios measure the
			// nodes behind it.
			return Http.request(vip, path).header("Cache-Control", "no-cache").GET().build();
		};
	}

	/**
	 * Runs the stream in windows of {@link #STEADY_WINDOW} until one is steady, and
	 * records how long that took under {@code name}.
	 */
	static void untilSteady(HttpClient client, LongFunction<HttpRequest> requests, int rate, String name) {
		List<String> windows = new ArrayList<>();
		long start = System.nanoTime();
		boolean steady = false;
		while (!steady && System.nanoTime() - start < STEADY_MAX_WAIT.toNanos()) {
			Run window = new SteadyLoad(client, requests, rate).run(STEADY_WINDOW, STEADY_WINDOW, Duration.ZERO,
					Duration.ZERO, null);
			Results figures = Results.of("steady-window", window, rate);
			double p99 = (double) figures.get("latencyP99Ms");
			windows.add(figures.get("failedOfTotal") + " failed, p99 " + p99 + " ms, sent " + window.sent() + " of "
					+ window.due() + " due");
			steady = window.failures().isEmpty() && p99 < STEADY_P99.toMillis()
					&& window.sentOfDue() >= MIN_SENT_OF_DUE;
		}
		Results.of(name)
			.put("steady", steady)
			.put("waitedMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
			.put("windows", windows)
			.write();
	}

	/**
	 * Fails unless the run sent at least {@link #MIN_SENT_OF_DUE} of the requests that
	 * came due: a sender that fell behind dropped requests, and its failure ratio and
	 * latencies are those of a lighter load.
	 */
	static void assertSentAsScheduled(Run run) {
		assertThat(run.sentOfDue()).as("requests sent on time: %d of %d due", run.sent(), run.due())
			.isGreaterThanOrEqualTo(MIN_SENT_OF_DUE);
	}

	/**
	 * Sends requests for at least {@code minDuration}, and on until the action has
	 * finished plus {@code tail}, never longer than {@code maxDuration}.
	 * @return every outcome, the instant the action recorded as its event (0 if none),
	 * and how long the action took
	 */
	Run run(Duration minDuration, Duration maxDuration, Duration actionAt, Duration tail, Action action) {
		long period = TimeUnit.SECONDS.toNanos(1) / this.ratePerSecond;
		long maxRequests = maxDuration.toNanos() / period;
		ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
		List<CompletableFuture<?>> inFlight = new ArrayList<>();
		AtomicLong eventNanos = new AtomicLong();
		AtomicLong actionDoneNanos = new AtomicLong();
		List<Throwable> actionFailure = new ArrayList<>();
		long start = System.nanoTime();
		Thread actionThread = Thread.ofPlatform().name("scenario-action").start(() -> {
			LockSupport.parkNanos(actionAt.toNanos());
			try {
				if (action != null) {
					action.run(eventNanos);
				}
			}
			catch (Throwable ex) {
				synchronized (actionFailure) {
					actionFailure.add(ex);
				}
			}
			finally {
				actionDoneNanos.set(System.nanoTime());
			}
		});
		long dropped = 0;
		for (long i = 0; i < maxRequests; i++) {
			long due = start + i * period;
			long wait = due - System.nanoTime();
			if (wait > 0) {
				LockSupport.parkNanos(wait);
			}
			long elapsed = System.nanoTime() - start;
			long done = actionDoneNanos.get();
			if (elapsed >= minDuration.toNanos() && done != 0 && System.nanoTime() - done >= tail.toNanos()) {
				break;
			}
			if (-wait > MAX_LATENESS_NANOS) {
				// This sender was stalled (a busy host, a GC pause): sending every missed
				// slot at once would be a burst the stream never meant to make. The slot
				// is dropped, and counted: a stream that sent too few of its requests
				// measured a lighter load than it claims.
				dropped++;
				continue;
			}
			inFlight.add(send(i, outcomes));
		}
		CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
			.completeOnTimeout(null, 30, TimeUnit.SECONDS)
			.join();
		try {
			actionThread.join(Duration.ofMinutes(5));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		synchronized (actionFailure) {
			if (!actionFailure.isEmpty()) {
				throw new IllegalStateException("scenario action failed", actionFailure.get(0));
			}
		}
		return new Run(start, System.nanoTime(), List.copyOf(outcomes), eventNanos.get(),
				actionDoneNanos.get() - start - actionAt.toNanos(), inFlight.size(), dropped);
	}

	private CompletableFuture<?> send(long index, ConcurrentLinkedQueue<Outcome> outcomes) {
		HttpRequest request = this.requests.apply(index);
		if (this.attemptTimeout != null) {
			request = HttpRequest.newBuilder(request, (name, value) -> true).timeout(this.attemptTimeout).build();
		}
		String target = request.method() + " " + request.uri().getRawPath()
				+ ((request.uri().getRawQuery() != null) ? "?" + request.uri().getRawQuery() : "");
		long sent = System.nanoTime();
		HttpRequest attempt = request;
		CompletableFuture<HttpResponse<Void>> first = this.client.sendAsync(attempt,
				HttpResponse.BodyHandlers.discarding());
		CompletableFuture<HttpResponse<Void>> answered = first;
		boolean mayRetry = this.attemptTimeout != null && "GET".equals(request.method());
		if (mayRetry) {
			answered = first.exceptionallyCompose((failure) -> retry(attempt, failure, 2, false));
		}
		return answered.handle((response, failure) -> {
			long done = System.nanoTime();
			boolean retried = mayRetry && first.isCompletedExceptionally();
			if (failure != null) {
				Throwable cause = (failure.getCause() != null) ? failure.getCause() : failure;
				outcomes.add(new Outcome(index, target, sent, done, -1, cause.getClass().getSimpleName(),
						messages(cause), null, null, null, null, retried));
			}
			else {
				outcomes.add(new Outcome(index, target, sent, done, response.statusCode(), null, null,
						response.headers().firstValue("X-Web-Node").orElse(null),
						response.headers().firstValue("X-App-Node").orElse(null),
						response.headers().firstValue("X-LB-Node").orElse(null),
						response.headers().firstValue("X-Web-Version").orElse(null), retried));
			}
			return null;
		});
	}

	/**
	 * What a failure said, with its causes: the client's "header parser received no
	 * bytes" wraps either a reset (another host took the address) or the peer's close.
	 */
	static String messages(Throwable failure) {
		StringBuilder messages = new StringBuilder(String.valueOf(failure.getMessage()));
		for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
			messages.append(" <- ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
		}
		return messages.toString();
	}

	/**
	 * The client's next attempt after {@code failure}: once after a timeout, and at once
	 * after a connection that broke (reset, closed before any byte of the answer,
	 * refused: one the pool held to a load balancer that has since lost the VIP), as HTTP
	 * clients replace a reused connection for an idempotent request (RFC 9110, 9.2.2). At
	 * most two attempts more, and never two timeouts: a read costs at most two attempt
	 * timeouts.
	 */
	private CompletableFuture<HttpResponse<Void>> retry(HttpRequest request, Throwable failure, int left,
			boolean timedOut) {
		Throwable cause = (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause()
				: failure;
		boolean timeout = !(cause instanceof IOException) || cause instanceof HttpTimeoutException;
		if (left == 0 || (timeout && timedOut)) {
			return CompletableFuture.failedFuture(cause);
		}
		return this.client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
			.exceptionallyCompose((next) -> retry(request, next, left - 1, timedOut || timeout));
	}

	/**
	 * A finished stream: outcomes in completion order, how many requests it sent and how
	 * many of those that came due it dropped, having fallen behind its schedule.
	 */
	record Run(long startNanos, long endNanos, List<Outcome> outcomes, long eventNanos, long actionNanos, long sent,
			long dropped) {

		long due() {
			return this.sent + this.dropped;
		}

		/** The share of the requests that came due which were sent on time. */
		double sentOfDue() {
			return (due() != 0) ? (double) this.sent / due() : 1;
		}

		/** When the stream began, by the wall clock (for the containers' logs). */
		Instant started() {
			return Instant.now().minusNanos(System.nanoTime() - this.startNanos);
		}

		List<Outcome> failures() {
			return this.outcomes.stream().filter((outcome) -> !outcome.ok()).toList();
		}

		/**
		 * From the event (a kill) to the answer of the first request sent after it that
		 * succeeded: how long the service was unreachable for a new request.
		 */
		long gapAfterEventMillis() {
			if (this.eventNanos == 0) {
				return -1;
			}
			return this.outcomes.stream()
				.filter((outcome) -> outcome.ok() && outcome.sentNanos() >= this.eventNanos)
				.mapToLong(Outcome::doneNanos)
				.min()
				.stream()
				.map((done) -> TimeUnit.NANOSECONDS.toMillis(done - this.eventNanos))
				.findFirst()
				.orElse(-1);
		}

		/**
		 * The longest stretch in which no request succeeded (completion to completion).
		 */
		long longestSilenceMillis() {
			long[] done = this.outcomes.stream().filter(Outcome::ok).mapToLong(Outcome::doneNanos).sorted().toArray();
			long longest = 0;
			for (int i = 1; i < done.length; i++) {
				longest = Math.max(longest, done[i] - done[i - 1]);
			}
			return TimeUnit.NANOSECONDS.toMillis(longest);
		}

	}

}
