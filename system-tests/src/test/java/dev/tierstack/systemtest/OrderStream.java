package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Orders at five per second through the VIP, each with its own Idempotency-Key; a failed
 * attempt (no answer, or a 5xx or 429) is retried with the same key and body, as a client
 * should, until the order is acknowledged (201) or {@code retryWindow} has passed since
 * its first attempt. Runs on its own thread until stopped.
 */
final class OrderStream implements Runnable {

	/** Where the orders are counted: the database's leader. */
	interface Store {

		/** A query answering one number, on the member that accepts writes. */
		long queryLeader(String sql);

		/** Orders stored whose idempotency key starts with the prefix. */
		default int countOrders(String keyPrefix) {
			return (int) queryLeader(
					"SELECT count(*) FROM bookshop.purchase_order WHERE idempotency_key LIKE '" + keyPrefix + "%'");
		}

		/** Distinct idempotency keys among them. */
		default int countDistinctOrderKeys(String keyPrefix) {
			return (int) queryLeader(
					"SELECT count(DISTINCT idempotency_key) FROM bookshop.purchase_order WHERE idempotency_key LIKE '"
							+ keyPrefix + "%'");
		}

	}

	/** One 201: when its attempt left and when the answer came, on the nanoTime scale. */
	record Ack(String key, long sentNanos, long doneNanos) {
	}

	final AtomicBoolean stop = new AtomicBoolean();

	final Set<String> keys = ConcurrentHashMap.newKeySet();

	final Map<String, String> orderIds = new ConcurrentHashMap<>();

	final List<String> notCreated = Collections.synchronizedList(new ArrayList<>());

	final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());

	/** The latencies of the orders the client had to send more than once. */
	final List<Long> resentLatencies = Collections.synchronizedList(new ArrayList<>());

	final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());

	private final String vip;

	private final List<String> isbns;

	private final String prefix;

	private final Duration retryWindow;

	private final Duration attemptTimeout;

	private Thread thread;

	volatile int attempts;

	volatile int replayed;

	OrderStream(String vip, List<String> isbns, String prefix, Duration retryWindow) {
		this(vip, isbns, prefix, retryWindow, Http.REQUEST_TIMEOUT);
	}

	/**
	 * Orders whose every attempt is given up after {@code attemptTimeout} (and retried
	 * with the same key, within {@code retryWindow}).
	 */
	OrderStream(String vip, List<String> isbns, String prefix, Duration retryWindow, Duration attemptTimeout) {
		this.vip = vip;
		this.isbns = isbns;
		this.prefix = prefix;
		this.retryWindow = retryWindow;
		this.attemptTimeout = attemptTimeout;
	}

	OrderStream start() {
		this.thread = Thread.ofPlatform().name("orders").start(this);
		return this;
	}

	/** Stops sending new orders and waits for the one under way (and its retries). */
	void stopAndJoin() {
		this.stop.set(true);
		try {
			this.thread.join(this.retryWindow.plusSeconds(30));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void run() {
		HttpClient client = Http.client();
		for (int n = 0; n < 2_000 && !this.stop.get(); n++) {
			long start = System.nanoTime();
			String key = this.prefix + n;
			this.keys.add(key);
			String isbn = this.isbns.get(n % this.isbns.size());
			HttpRequest post = Http.request(this.vip, "/api/orders")
				.timeout(this.attemptTimeout)
				.header("Content-Type", "application/json")
				.header("Idempotency-Key", key)
				.POST(HttpRequest.BodyPublishers.ofString("{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":1}]}"))
				.build();
			HttpResponse<String> created = null;
			int tries = 0;
			while (created == null && System.nanoTime() - start < this.retryWindow.toNanos()) {
				this.attempts++;
				tries++;
				long sent = System.nanoTime();
				try {
					HttpResponse<String> response = client.send(post, HttpResponse.BodyHandlers.ofString());
					if (response.statusCode() == 201) {
						created = response;
						this.acks.add(new Ack(key, sent, System.nanoTime()));
					}
					else if (response.statusCode() < 500 && response.statusCode() != 429) {
						break;
					}
				}
				catch (HttpTimeoutException ex) {
					// No answer in time: the order may or may not exist; the same key
					// makes
					// the retry safe, and the attempt has waited already.
					continue;
				}
				catch (Exception ex) {
					// No answer: as above, after a pause (a refused connection is quick).
				}
				if (created == null) {
					ComposeStack.sleep(Duration.ofMillis(250));
				}
			}
			if (created == null) {
				this.notCreated.add(key);
			}
			else {
				this.orderIds.put(key, Http.json(created).get("id").asString());
				if (created.headers().firstValue("Idempotency-Replayed").isPresent()) {
					this.replayed++;
				}
				long latency = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				this.latencies.add(latency);
				if (tries > 1) {
					this.resentLatencies.add(latency);
				}
			}
			long pause = 200 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			if (pause > 0) {
				ComposeStack.sleep(Duration.ofMillis(pause));
			}
		}
	}

	/**
	 * From {@code eventNanos} to the first acknowledgement of an attempt sent after it:
	 * how long a new order could not be placed.
	 */
	long writeGapMillis(long eventNanos) {
		synchronized (this.acks) {
			return this.acks.stream()
				.filter((ack) -> ack.sentNanos() >= eventNanos)
				.mapToLong(Ack::doneNanos)
				.min()
				.stream()
				.map((done) -> TimeUnit.NANOSECONDS.toMillis(done - eventNanos))
				.findFirst()
				.orElse(-1);
		}
	}

	long percentile(int p) {
		return percentile(this.latencies, p);
	}

	/**
	 * The p-th percentile, in ms, of the acknowledged attempts sent from
	 * {@code fromNanos} until {@code toNanos} (-1: none).
	 */
	long percentileSentBetween(long fromNanos, long toNanos, int p) {
		return percentile(acksSentBetween(fromNanos, toNanos).stream()
			.map((ack) -> TimeUnit.NANOSECONDS.toMillis(ack.doneNanos() - ack.sentNanos()))
			.toList(), p);
	}

	/**
	 * How many acknowledged attempts were sent from {@code fromNanos} until
	 * {@code toNanos}.
	 */
	long acknowledgedSentBetween(long fromNanos, long toNanos) {
		return acksSentBetween(fromNanos, toNanos).size();
	}

	/** The acknowledged attempts sent from {@code fromNanos} until {@code toNanos}. */
	List<Ack> acksSentBetween(long fromNanos, long toNanos) {
		synchronized (this.acks) {
			return this.acks.stream()
				.filter((ack) -> ack.sentNanos() >= fromNanos && ack.sentNanos() < toNanos)
				.toList();
		}
	}

	/** The slowest order answered at its first attempt (-1: none). */
	long slowestAtFirstAttempt() {
		List<Long> resent = List.copyOf(this.resentLatencies);
		synchronized (this.latencies) {
			List<Long> first = new ArrayList<>(this.latencies);
			resent.forEach(first::remove);
			return first.stream().mapToLong(Long::longValue).max().orElse(-1);
		}
	}

	/** The slowest order the client had to send again (-1: none). */
	long slowestResent() {
		return percentile(this.resentLatencies, 100);
	}

	private static long percentile(List<Long> latencies, int p) {
		List<Long> sorted;
		synchronized (latencies) {
			if (latencies.isEmpty()) {
				return -1;
			}
			sorted = latencies.stream().sorted().toList();
		}
		return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
	}

	/**
	 * What became of the orders, checked against the database: each key stored exactly
	 * once, each acknowledged order readable through the VIP.
	 */
	Results check(Results results, Store database, HttpClient http) {
		int stored = database.countOrders(this.prefix);
		int distinctKeys = database.countDistinctOrderKeys(this.prefix);
		Set<String> ids = Set.copyOf(this.orderIds.values());
		long readable = ids.stream()
			.filter((id) -> Http.getPolitely(http, this.vip, "/api/orders/" + id).statusCode() == 200)
			.count();
		return results.put("ordersPosted", this.keys.size())
			.put("ordersAcknowledged", this.orderIds.size())
			.put("orderAttempts", this.attempts)
			.put("orderRetries", this.attempts - this.keys.size())
			.put("ordersReplayed", this.replayed)
			.put("ordersNotCreated", List.copyOf(this.notCreated))
			.put("orderLatencyP50Ms", percentile(50))
			.put("orderLatencyP99Ms", percentile(99))
			.put("orderLatencyMaxMs", percentile(100))
			.put("ordersStoredForKeys", stored)
			.put("distinctKeysStored", distinctKeys)
			.put("distinctOrderIds", ids.size())
			.put("ordersReadableByApi", readable);
	}

}
