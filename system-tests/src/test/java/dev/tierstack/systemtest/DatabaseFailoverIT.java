package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database tier under the same stream of catalog reads as {@link FailoverIT}, plus
 * keyed orders at five per second whose client retries a 503 or a lost answer with the
 * same key: the primary killed, the old primary back, a planned switchover, the replica
 * killed, etcd members killed, the primary cut off from its peers. Throughout, every
 * member is asked every 100 ms whether it accepts writes: never more than one may.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(4)
class DatabaseFailoverIT {

	static final int RATE = FailoverIT.RATE;

	static final Duration KILL_AT = Duration.ofSeconds(5);

	static final Duration MAX_DURATION = Duration.ofMinutes(3);

	/** How long an order's client keeps retrying it with the same key. */
	static final Duration ORDER_RETRY_WINDOW = Duration.ofSeconds(60);

	private static ComposeStack stack;

	private static DatabaseCluster database;

	private static DatabaseCluster.WritableSampler writable;

	private static String vip;

	private static HttpClient http;

	private static List<String> isbns;

	/** The member killed by the first scenario, started again by the second. */
	private static String killedPrimary;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		database = new DatabaseCluster(stack);
		vip = stack.vipUrl();
		http = Http.client();
		isbns = Http.isbnsInStock(http, vip, 200);
		database.waitForLeader(Duration.ofSeconds(60));
		writable = new DatabaseCluster.WritableSampler(database).start();
	}

	@AfterAll
	static void stopSampling() {
		if (writable != null) {
			writable.close();
			Results.of("db-members-accepting-writes").put("sampling", writable.figures()).write();
		}
	}

	@BeforeEach
	void untilSteady(TestInfo test) {
		SteadyLoad.untilSteady(http, reads(), RATE, "steady-before-db-" + test.getTestMethod().orElseThrow().getName());
	}

	@AfterEach
	void neverTwoMembersAcceptWrites() {
		assertThat(writable.instantsWithTwoWritable()).as("instants at which both members accepted writes").isZero();
	}

	private static LongFunction<HttpRequest> reads() {
		return SteadyLoad.catalogReads(vip, isbns);
	}

	private static OrderStream orders(String scenario) {
		return new OrderStream(vip, isbns, "st-" + scenario + "-" + UUID.randomUUID().toString().substring(0, 8) + "-",
				ORDER_RETRY_WINDOW)
			.start();
	}

	/** What a scenario does to the database, with the order stream it runs beside. */
	interface DatabaseAction {

		void run(OrderStream orders, AtomicLong eventNanos) throws Exception;

	}

	record UnderLoad(SteadyLoad.Run run, OrderStream orders) {
	}

	/**
	 * The read stream and the order stream, with the action {@link #KILL_AT} after the
	 * start; the streams run at least {@code minDuration}, and {@code tail} after the
	 * action has finished.
	 */
	private static UnderLoad underLoad(String name, Duration minDuration, Duration tail, DatabaseAction action) {
		OrderStream orders = orders(name);
		try {
			SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(minDuration, MAX_DURATION, KILL_AT, tail,
					(event) -> action.run(orders, event));
			return new UnderLoad(run, orders);
		}
		finally {
			orders.stopAndJoin();
		}
	}

	private static String other(String member) {
		return member.equals("db1") ? "db2" : "db1";
	}

	/**
	 * The catalog on the replica, the orders on the primary: transactions committed on
	 * each member while only the catalog is read, then the replica's lag under orders.
	 */
	@Test
	@Order(1)
	void theReplicaServesTheCatalog() {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		String replica = other(leader);
		long leaderBefore = database.commits(leader);
		long replicaBefore = database.commits(replica);
		SteadyLoad.Run readsOnly = new SteadyLoad(http, reads(), RATE).run(Duration.ofSeconds(10),
				Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO, null);
		long onLeader = database.commits(leader) - leaderBefore;
		long onReplica = database.commits(replica) - replicaBefore;
		double replicaShare = (double) onReplica / Math.max(1, onLeader + onReplica);

		OrderStream orders = orders("lag");
		List<Long> lagBytes = new ArrayList<>();
		long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (System.nanoTime() < end) {
			JsonNode member = database.members().get(replica);
			if (member != null && member.path("lag").isNumber()) {
				lagBytes.add(member.get("lag").asLong());
			}
			ComposeStack.sleep(Duration.ofMillis(250));
		}
		orders.stopAndJoin();
		Results results = orders.check(Results.of("db-replica-serves-catalog", readsOnly, RATE), database, http)
			.put("leader", leader)
			.put("catalogCommitsOnLeader", onLeader)
			.put("catalogCommitsOnReplica", onReplica)
			.put("catalogShareOnReplica", Math.round(replicaShare * 1000) / 1000.0)
			.put("replicaLagSamplesUnderOrders", lagBytes.size())
			.put("replicaLagMaxBytes", lagBytes.stream().mapToLong(Long::longValue).max().orElse(-1))
			.put("replicaRole", database.members().get(replica).get("role").asString())
			.write();
		SteadyLoad.assertSentAsScheduled(readsOnly);
		assertThat(readsOnly.failures()).isEmpty();
		assertThat(replicaShare).as("share of catalog transactions on the replica").isGreaterThan(0.9);
		assertThat(database.members().get(replica).get("role").asString()).isEqualTo("sync_standby");
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
	}

	@Test
	@Order(2)
	void killThePrimary() {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		String container = database.container(leader);
		Failover failover = failover("dbkill", leader, () -> {
			stack.kill(container);
			return stack.diedAtNanos(container);
		}, () -> {
		});
		killedPrimary = leader;
		long writeGap = failover.writeGapMs();
		Results results = failover.orders()
			.check(Results.of("db-kill-primary", failover.run(), RATE), database, http)
			.put("killed", leader)
			.put("newLeader", database.leader())
			.put("killToNewLeaderMs", failover.toNewLeaderMs())
			.put("writeGapMs", writeGap)
			.write();
		failover.assertServedAndStoredOnce(results, leader);
		// Patroni's 20 s leader ttl takes 18-20 s of it (the leader key must expire).
		assertThat(writeGap).as("kill to the first acknowledged new order (ms)").isBetween(0L, 25_000L);
	}

	@Test
	@Order(3)
	void theOldPrimaryRejoinsAsAReplica() {
		assertThat(killedPrimary).as("the primary killed by the scenario before").isNotNull();
		// The member has been down since that scenario: the on-call engineer is paged for
		// it,
		// by both of its exporters.
		Prometheus prometheus = new Prometheus(stack, http);
		Set<String> paged = await("NodeDown firing for " + killedPrimary).atMost(Duration.ofSeconds(40))
			.pollInterval(Duration.ofSeconds(1))
			.until(() -> prometheus.firing("NodeDown", killedPrimary),
					(jobs) -> jobs.containsAll(Set.of("patroni", "postgres")));
		String container = database.container(killedPrimary);
		long[] lagZeroMs = new long[1];
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(Duration.ofSeconds(10), MAX_DURATION,
				Duration.ofSeconds(2), Duration.ofSeconds(2), (event) -> {
					event.set(System.nanoTime());
					Proc.docker(Duration.ofSeconds(60), "start", container).orThrow();
					lagZeroMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - event.get())
							+ database.waitUntilStreamingWithoutLag(killedPrimary, Duration.ofSeconds(60)).toMillis();
				});
		Map<String, JsonNode> members = database.members();
		List<String> rewind = stack.logLines(container, Instant.now().minusSeconds(120),
				Pattern.compile("rewind|timeline", Pattern.CASE_INSENSITIVE));
		Results.of("db-old-primary-rejoins", run, RATE)
			.put("member", killedPrimary)
			.put("nodeDownFiringForJobs", paged)
			.put("startToStreamingWithoutLagMs", lagZeroMs[0])
			.put("members", members.toString())
			.put("rewindLogLines", rewind)
			.write();
		SteadyLoad.assertSentAsScheduled(run);
		FailoverIT.assertNoFailedReads(stack, run);
		assertThat(members.get(killedPrimary).get("role").asString()).isNotEqualTo("leader");
		assertThat(lagZeroMs[0]).as("start to streaming without lag (ms)").isLessThan(30_000L);
	}

	@Test
	@Order(4)
	void plannedSwitchover() {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		String candidate = other(leader);
		database.waitUntilStreamingWithoutLag(candidate, Duration.ofSeconds(30));
		UnderLoad scenario = underLoad("switchover", Duration.ofSeconds(15), Duration.ofSeconds(3), (orders, event) -> {
			event.set(System.nanoTime());
			stack
				.exec(database.container(leader), "patronictl", "switchover", "--leader", leader, "--candidate",
						candidate, "--force")
				.orThrow();
			waitForNewLeader(leader);
			waitForAnOrderAcknowledgedAfter(orders, event.get());
		});
		SteadyLoad.Run run = scenario.run();
		OrderStream orders = scenario.orders();
		long writeGap = orders.writeGapMillis(run.eventNanos());
		Results results = orders.check(Results.of("db-switchover", run, RATE), database, http)
			.put("from", leader)
			.put("to", database.leader())
			.put("writeGapMs", writeGap)
			.write();
		SteadyLoad.assertSentAsScheduled(run);
		FailoverIT.assertNoFailedReads(stack, run);
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(database.leader()).isEqualTo(candidate);
		assertThat(writeGap).as("switchover to the first acknowledged new order (ms)").isBetween(0L, 3_000L);
		database.waitUntilStreamingWithoutLag(leader, Duration.ofSeconds(60));
	}

	@Test
	@Order(5)
	void killTheReplica() {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		String replica = other(leader);
		String container = database.container(replica);
		UnderLoad scenario = underLoad("replicakill", Duration.ofSeconds(20), Duration.ZERO, (orders, event) -> {
			event.set(System.nanoTime());
			stack.kill(container);
		});
		SteadyLoad.Run run = scenario.run();
		OrderStream orders = scenario.orders();
		Results results = orders.check(Results.of("db-kill-replica", run, RATE), database, http)
			.put("killed", replica)
			.put("orderAcksAfterKill", orders.acks.stream().filter((ack) -> ack.sentNanos() > run.eventNanos()).count())
			.write();
		Proc.docker(Duration.ofSeconds(60), "start", container).orThrow();
		Duration rejoined = database.waitUntilStreamingWithoutLag(replica, Duration.ofSeconds(60));
		results.put("startToStreamingWithoutLagMs", rejoined.toMillis()).write();
		SteadyLoad.assertSentAsScheduled(run);
		FailoverIT.assertNoFailedReads(stack, run);
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(database.leader()).isEqualTo(leader);
	}

	@Test
	@Order(6)
	void killOneEtcdMember() {
		etcdScenario("db-kill-one-etcd", List.of("etcd1"), Duration.ofSeconds(15));
	}

	/**
	 * Two of three: no quorum, so the cluster state can change no more (no failover, no
	 * switchover), but with Patroni's failsafe mode the leader keeps its role while it
	 * reaches every other member, so reads and orders go on.
	 */
	@Test
	@Order(7)
	void loseTwoEtcdMembers() {
		etcdScenario("db-lose-two-etcd", List.of("etcd1", "etcd2"), Duration.ofSeconds(30));
	}

	/**
	 * The primary cut off from the members' network (its replica and etcd), still reached
	 * by the app tier: it can neither renew its leader key nor reach its replica, so it
	 * demotes itself (failsafe mode keeps a leader only while it reaches every member),
	 * and the commits it began meanwhile wait for the synchronous standby and are never
	 * acknowledged. The replica takes over once the key expires. Every acknowledged order
	 * is on the new leader (RPO 0), and no two members accepted writes at any instant
	 * (checked after every scenario). Healed, the old primary rewinds and follows.
	 */
	@Test
	@Order(8)
	void thePrimaryCutOffFromItsReplicaAndEtcd() {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		String container = database.container(leader);
		Failover failover = failover("dbcut", leader, () -> {
			stack.dropOutgoing(container, "dbpeer", true);
			return System.nanoTime();
		}, () -> stack.dropOutgoing(container, "dbpeer", false));
		long writeGap = failover.writeGapMs();
		long demoted = TimeUnit.NANOSECONDS.toMillis(writable.lastWritable(leader) - failover.run().eventNanos());
		Results results = failover.orders()
			.check(Results.of("db-cut-primary-from-peers", failover.run(), RATE), database, http)
			.put("cut", leader)
			.put("newLeader", database.leader())
			.put("cutToOldLeaderLastWritableMs", demoted)
			.put("cutToNewLeaderMs", failover.toNewLeaderMs())
			.put("demotionBeforePromotionMs", failover.toNewLeaderMs() - demoted)
			.put("writeGapMs", writeGap)
			.write();
		Duration rejoined = database.waitUntilStreamingWithoutLag(leader, Duration.ofSeconds(90));
		results.put("healToStreamingWithoutLagMs", rejoined.toMillis()).write();
		failover.assertServedAndStoredOnce(results, leader);
		// The leader key's ttl (20 s) from its last renewal, then the promotion; the
		// commits sent to the cut primary meanwhile end by the app tier's network
		// timeout.
		assertThat(writeGap).as("cut to the first acknowledged new order (ms)").isBetween(0L, 30_000L);
	}

	/** A scenario in which the leader is lost and the replica takes over. */
	private record Failover(SteadyLoad.Run run, OrderStream orders, long toNewLeaderMs, long writeGapMs) {

		/** No read failed, every order stored once, and the other member leads now. */
		void assertServedAndStoredOnce(Results results, String oldLeader) {
			SteadyLoad.assertSentAsScheduled(this.run);
			FailoverIT.assertNoFailedReads(stack, this.run);
			FailoverIT.assertOrdersStoredOnceAndReadable(this.orders, results);
			assertThat(database.leader()).isEqualTo(other(oldLeader));
		}

	}

	/**
	 * The streams, with {@code fault} (which answers when it took effect, in nanos)
	 * {@link #KILL_AT} after the start; {@code heal} runs once a new leader has
	 * acknowledged an order.
	 */
	private static Failover failover(String name, String leader, LongSupplier fault, Runnable heal) {
		long[] newLeaderAt = new long[1];
		UnderLoad scenario = underLoad(name, Duration.ofSeconds(20), Duration.ofSeconds(3), (orders, event) -> {
			event.set(fault.getAsLong());
			try {
				waitForNewLeader(leader);
				newLeaderAt[0] = System.nanoTime();
				waitForAnOrderAcknowledgedAfter(orders, event.get());
			}
			finally {
				heal.run();
			}
		});
		SteadyLoad.Run run = scenario.run();
		return new Failover(run, scenario.orders(), TimeUnit.NANOSECONDS.toMillis(newLeaderAt[0] - run.eventNanos()),
				scenario.orders().writeGapMillis(run.eventNanos()));
	}

	private void etcdScenario(String name, List<String> victims, Duration duration) {
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		List<String> containers = victims.stream().map((service) -> stack.containers(service).get(0)).toList();
		UnderLoad scenario = underLoad(name.substring(3), duration, Duration.ZERO, (orders, event) -> {
			event.set(System.nanoTime());
			containers.forEach(stack::kill);
		});
		SteadyLoad.Run run = scenario.run();
		OrderStream orders = scenario.orders();
		String leaderDuring = database.leader();
		for (String container : containers) {
			Proc.docker(Duration.ofSeconds(60), "start", container).orThrow();
		}
		for (String container : containers) {
			stack.waitHealthy(container, Duration.ofSeconds(60));
		}
		Results results = orders.check(Results.of(name, run, RATE), database, http)
			.put("killed", victims)
			.put("leaderBefore", leader)
			.put("leaderAtEnd", leaderDuring)
			.put("orderAcksAfterKill", orders.acks.stream().filter((ack) -> ack.sentNanos() > run.eventNanos()).count())
			.write();
		SteadyLoad.assertSentAsScheduled(run);
		FailoverIT.assertNoFailedReads(stack, run);
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(database.waitForLeader(Duration.ofSeconds(30))).isEqualTo(leader);
	}

	private static void waitForNewLeader(String oldLeader) {
		await("a new leader instead of " + oldLeader).atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(100))
			.until(database::leader, (leader) -> leader != null && !leader.equals(oldLeader));
	}

	private static void waitForAnOrderAcknowledgedAfter(OrderStream orders, long eventNanos) {
		await("an order acknowledged after the event").atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> orders.writeGapMillis(eventNanos) >= 0);
	}

}
