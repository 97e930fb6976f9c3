package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

import static org.awaitility.Awaitility.await;

/**
 * The database tier of a running stack as the host sees it: the two Patroni members
 * (services db1, db2), their roles from Patroni's REST API on the peer network, and SQL
 * as the app's runtime role on the data network (the host's bridge address is part of
 * it).
 */
final class DatabaseCluster implements OrderStream.Store {

	static final List<String> MEMBERS = List.of("db1", "db2");

	private final ComposeStack stack;

	private final HttpClient http = Http.client();

	private final String password;

	private final Map<String, String> containers = new ConcurrentHashMap<>();

	private final Map<String, String> addresses = new ConcurrentHashMap<>();

	DatabaseCluster(ComposeStack stack) {
		this.stack = stack;
		try {
			this.password = Files.readString(ComposeStack.repositoryRoot().resolve("secrets/db_app_password.txt"))
				.strip();
		}
		catch (IOException ex) {
			throw new IllegalStateException("secrets/db_app_password.txt: " + ex.getMessage(), ex);
		}
	}

	/** A member's container: the same id across kills and starts, so asked once. */
	String container(String member) {
		return this.containers.computeIfAbsent(member, (service) -> this.stack.containers(service).get(0));
	}

	/**
	 * A member's address on a network: fixed by the compose file, so asked of the engine
	 * once (not while the member is stopped and has none).
	 */
	String address(String member, String network) {
		String key = member + "@" + network;
		String known = this.addresses.get(key);
		if (known != null) {
			return known;
		}
		String ip = this.stack.ip(container(member), network);
		if (!ip.isEmpty()) {
			this.addresses.put(key, ip);
		}
		return ip;
	}

	/**
	 * Patroni's view of the cluster from the first member that answers: name to role
	 * ("leader", "sync_standby", "replica"), state and lag in bytes.
	 */
	Map<String, JsonNode> members() {
		for (String member : MEMBERS) {
			String ip = address(member, "dbpeer");
			if (ip.isEmpty()) {
				continue;
			}
			try {
				JsonNode cluster = Http.json(Http.get(this.http, "http://" + ip + ":8008", "/cluster"));
				Map<String, JsonNode> members = new LinkedHashMap<>();
				for (JsonNode node : cluster.get("members")) {
					members.put(node.get("name").asString(), node);
				}
				return members;
			}
			catch (RuntimeException ex) {
				// that member is down: ask the other
			}
		}
		return Map.of();
	}

	/** The member Patroni names leader, or null while there is none. */
	String leader() {
		return members().entrySet()
			.stream()
			.filter((e) -> e.getValue().get("role").asString().equals("leader"))
			.map(Map.Entry::getKey)
			.findFirst()
			.orElse(null);
	}

	/**
	 * A leader that hung past its ttl resumes with a stale view of the cluster and renews
	 * its key: {@code leader-key-renewal.py} in {@code member}, with Patroni's own etcd
	 * code and the cluster's etcd under a scope of its own (the cluster's keys are not
	 * touched); then a leader's renewal of its own key with a new lease. Returns what
	 * each renewal said and who held the key after it.
	 */
	JsonNode staleLeaderRenewal(String member) {
		try (InputStream script = DatabaseCluster.class.getResourceAsStream("/leader-key-renewal.py")) {
			Proc.Result result = Proc.run(Duration.ofSeconds(60), null, Map.of(),
					List.of("docker", "exec", "-i", container(member), "python3", "-"),
					new String(script.readAllBytes(), StandardCharsets.UTF_8));
			return Http.JSON.readTree(result.orThrow().lines().getLast());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	String waitForLeader(Duration timeout) {
		try {
			return await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(250))
				.until(this::leader, Objects::nonNull);
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("no database leader within " + timeout + ": " + members(), ex);
		}
	}

	/**
	 * Waits until {@code member} streams from the leader with no lag.
	 * @return how long that took
	 */
	Duration waitUntilStreamingWithoutLag(String member, Duration timeout) {
		long start = System.nanoTime();
		try {
			await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(200))
				.until(() -> streamingWithoutLag(members().get(member)));
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException(member + " not streaming without lag within " + timeout + ": " + members(),
					ex);
		}
		return Duration.ofNanos(System.nanoTime() - start);
	}

	private static boolean streamingWithoutLag(JsonNode member) {
		return member != null && !member.get("role").asString().equals("leader")
				&& member.path("state").asString().matches("running|streaming") && member.has("lag")
				&& member.get("lag").isNumber() && member.get("lag").asLong() == 0;
	}

	String jdbcUrl(String member) {
		return "jdbc:postgresql://" + address(member, "data")
				+ ":5432/tierstack?connectTimeout=1&socketTimeout=3&loginTimeout=3&ApplicationName=system-tests";
	}

	Connection connect(String member) throws SQLException {
		return DriverManager.getConnection(jdbcUrl(member), "tierstack_app", this.password);
	}

	long queryLong(String member, String sql) {
		return Long.parseLong(queryString(member, sql));
	}

	String queryString(String member, String sql) {
		try (Connection connection = connect(member);
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery(sql)) {
			rows.next();
			return rows.getString(1);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(member + ": " + sql + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Orders, order lines and the stock of all books, as "orders/lines/stock": what any
	 * write changes.
	 */
	String ordersLinesAndStock() {
		return queryString(waitForLeader(Duration
			.ofSeconds(60)), "SELECT (SELECT count(*) FROM bookshop.purchase_order) || '/' || "
					+ "(SELECT count(*) FROM bookshop.order_line) || '/' || (SELECT sum(stock) FROM bookshop.book)");
	}

	@Override
	public long queryLeader(String sql) {
		return queryLong(waitForLeader(Duration.ofSeconds(60)), sql);
	}

	/** Transactions committed in the bookshop's database on a member since its start. */
	long commits(String member) {
		return queryLong(member, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'tierstack'");
	}

	/**
	 * Asks every member every 100 ms whether it accepts writes
	 * ({@code pg_is_in_recovery()} false), each on its own thread and connection, and
	 * counts the instants at which more than one did.
	 */
	static final class WritableSampler implements AutoCloseable {

		private final DatabaseCluster cluster;

		private final AtomicBoolean stop = new AtomicBoolean();

		private final Map<String, AtomicLong> writableUntil = new LinkedHashMap<>();

		private final Map<String, AtomicLong> lastWritable = new LinkedHashMap<>();

		private final List<Thread> threads = new ArrayList<>();

		private final AtomicLong samples = new AtomicLong();

		private final AtomicLong memberSamples = new AtomicLong();

		private final AtomicLong instantsWithTwoWritable = new AtomicLong();

		private final AtomicLong maxWritable = new AtomicLong();

		WritableSampler(DatabaseCluster cluster) {
			this.cluster = cluster;
			for (String member : MEMBERS) {
				this.writableUntil.put(member, new AtomicLong());
				this.lastWritable.put(member, new AtomicLong());
			}
		}

		WritableSampler start() {
			for (String member : MEMBERS) {
				this.threads.add(Thread.ofPlatform().daemon().name("writable-" + member).start(() -> sample(member)));
			}
			this.threads.add(Thread.ofPlatform().daemon().name("writable-count").start(this::count));
			return this;
		}

		private void sample(String member) {
			Connection connection = null;
			while (!this.stop.get()) {
				long started = System.nanoTime();
				try {
					if (connection == null) {
						connection = this.cluster.connect(member);
					}
					try (Statement statement = connection.createStatement();
							ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery()")) {
						rows.next();
						this.memberSamples.incrementAndGet();
						if (!rows.getBoolean(1)) {
							// Counts as writable until the next sample could say
							// otherwise.
							long answered = System.nanoTime();
							this.lastWritable.get(member).set(answered);
							this.writableUntil.get(member).set(answered + TimeUnit.MILLISECONDS.toNanos(150));
						}
						else {
							this.writableUntil.get(member).set(0);
						}
					}
				}
				catch (SQLException | RuntimeException ex) {
					close(connection);
					connection = null;
					this.writableUntil.get(member).set(0);
				}
				long pause = TimeUnit.MILLISECONDS.toNanos(100) - (System.nanoTime() - started);
				if (pause > 0) {
					ComposeStack.sleep(Duration.ofNanos(pause));
				}
			}
			close(connection);
		}

		private void count() {
			while (!this.stop.get()) {
				long now = System.nanoTime();
				long writable = this.writableUntil.values().stream().filter((until) -> until.get() > now).count();
				this.samples.incrementAndGet();
				this.maxWritable.accumulateAndGet(writable, Math::max);
				if (writable > 1) {
					this.instantsWithTwoWritable.incrementAndGet();
				}
				ComposeStack.sleep(Duration.ofMillis(100));
			}
		}

		/**
		 * When {@code member} last said it accepts writes ({@link System#nanoTime()}).
		 */
		long lastWritable(String member) {
			return this.lastWritable.get(member).get();
		}

		long instantsWithTwoWritable() {
			return this.instantsWithTwoWritable.get();
		}

		Map<String, Object> figures() {
			Map<String, Object> figures = new LinkedHashMap<>();
			figures.put("instantsSampled", this.samples.get());
			figures.put("memberAnswers", this.memberSamples.get());
			figures.put("maxMembersAcceptingWrites", this.maxWritable.get());
			figures.put("instantsWithTwoAcceptingWrites", this.instantsWithTwoWritable.get());
			return figures;
		}

		private static void close(Connection connection) {
			if (connection != null) {
				try {
					connection.close();
				}
				catch (SQLException ex) {
					// gone already
				}
			}
		}

		@Override
		public void close() {
			this.stop.set(true);
			for (Thread thread : this.threads) {
				try {
					thread.join(Duration.ofSeconds(10));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		}

	}

}
