package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stack on Docker Swarm (swarm/stack.yml, scripts/swarm.sh), one node until the last
 * scenario, under reads and keyed orders through the VIP: deployed from nothing, rolled
 * to a new version, a broken version rolled back by Swarm and another by the user, a
 * killed task replaced, a hung etcd member replaced, the load balancer holding the VIP
 * killed, and last a second host that takes web and app tasks as they scale up and the
 * database member db2 (which leads from there for a while), and is then lost, after which
 * web and app scale down. Runs in a Maven execution of its own, after the Compose stack
 * is down.
 */
@EnabledIfDockerAvailable
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SwarmIT {

	/**
	 * Reads per second, as in the measurement of Compose's replace-all deploy.
	 */
	static final int RATE = 40;

	static final Duration MIN_DURATION = Duration.ofSeconds(10);

	static final Duration MAX_DURATION = Duration.ofMinutes(8);

	/**
	 * Reads sent within this time of the kill of the load balancer holding the VIP may
	 * fail: they reach no one until the peer has taken the VIP (0.3-0.4 s here).
	 */
	static final Duration VIP_MOVE_BOUND = Duration.ofSeconds(1);

	/** How long the stream goes on after the action: traffic on what the action left. */
	static final Duration TAIL = Duration.ofSeconds(5);

	/**
	 * The manager lost with the second host: the other two keep the swarm's Raft quorum.
	 */
	static final String LOST_MANAGER = SwarmStack.MANAGER_HOSTS.get(0);

	/**
	 * How long db2 leads from the second host: some 50 orders committed over the link.
	 */
	static final Duration LED_FROM_THE_SECOND_HOST = Duration.ofSeconds(10);

	private static SwarmStack swarm;

	private static final Pattern LOAD_BALANCER_EVENTS = Pattern.compile(
			"Entering|Script|is DOWN|is UP|is going DOWN|maintenance|lb-entrypoint|lb-watch|no server available|VRRP|priority");

	/**
	 * HAProxy's request line: backend/server, the five timers, status, bytes, termination
	 * state.
	 */
	private static final Pattern REQUEST_LINE = Pattern
		.compile(" (\\S+/\\S+) (-?\\d+/-?\\d+/-?\\d+/-?\\d+/-?\\d+) (\\d{3}) \\d+ (\\S{4}) ");

	private static HttpClient http;

	private static Map<String, String> noNewPrivileges;

	private static SteadyLoad.Run warmUp;

	private static String vip;

	private static List<String> isbns;

	@BeforeAll
	static void deployFromNothing() {
		// The versions the scenarios deploy, made before up: a build between a gate and a
		// scenario leaves the client's pooled connections idle past the load balancer's
		// keep-alive timeout, and the stream right after up is to meet what up left, not
		// the aftermath of four image builds.
		swarm = SwarmStack.start((stack) -> {
			stack.tagVersion("web", "st-v2");
			stack.tagVersion("app", "st-v2");
			stack.tagVersion("app", "st-broken", "ENV JAVA_TOOL_OPTIONS=\"$JAVA_TOOL_OPTIONS -Dserver.port=8099\"");
			stack.tagVersion("web", "st-broken");
		});
		Results.of("swarm-deploy")
			.put("upToServingMs", swarm.upTime().toMillis())
			.put("serving", swarm.upLine("serving at"))
			.put("warmUp", swarm.upLine("warmed up"))
			.write();
		noNewPrivileges = swarm.noNewPrivileges();
		Results.of("swarm-no-new-privileges").put("noNewPrivs", noNewPrivileges).write();
		vip = swarm.vipUrl();
		http = Http.client();
		isbns = Http.isbnsInStock(http, vip, 100);
		assertThat(isbns).hasSize(100);
		Instant warmUpStarted = Instant.now();
		warmUp = new SteadyLoad(http, reads(), RATE).run(Duration.ofSeconds(15), Duration.ofSeconds(15), Duration.ZERO,
				Duration.ZERO, null);
		Results.of("swarm-warm-up", warmUp, RATE).write();
		if (!warmUp.failures().isEmpty()) {
			printLoadBalancerLog("the warm-up", warmUpStarted);
		}
	}

	/**
	 * What {@code up} left: every task unable to gain privileges (Swarm has no
	 * no-new-privileges for a service: the images set it themselves), every task healthy
	 * by its health check, the web and app tasks held to one core each, and a stack that
	 * takes the full stream at once ({@code up} returns once its own warm-up is done;
	 * without it, half of the first 15 s of reads failed).
	 */
	@Test
	@Order(0)
	void fromNothingToTheFullStreamWithoutPrivilegesToGain() {
		assertThat(noNewPrivileges).hasSizeGreaterThanOrEqualTo(11)
			.allSatisfy((task, flag) -> assertThat(flag).as(task).isEqualTo("1"));
		Map<String, String> health = swarm.health();
		Map<String, Double> cpuLimits = swarm.cpuLimits();
		Results.of("swarm-health").put("tasks", health).put("cpuLimits", cpuLimits).write();
		health.keySet().removeIf((task) -> task.startsWith("migrate."));
		assertThat(health).as("every task's health check (the schema job has none), the database and etcd members' too")
			.hasSizeGreaterThanOrEqualTo(11)
			.allSatisfy((task, status) -> assertThat(status).as(task).isEqualTo("healthy"));
		cpuLimits.keySet().removeIf((task) -> !task.startsWith("web.") && !task.startsWith("app."));
		assertThat(cpuLimits).as("CPU limits of the web and app tasks (cores)")
			.hasSize(4)
			.allSatisfy((task, cores) -> assertThat(cores).as(task).isEqualTo(1.0));
		Results figures = Results.of("swarm-warm-up", warmUp, RATE);
		assertThat(warmUp.failures().size())
			.as("reads failed right after up (%s %s), of %d; by kind %s; by the second they were sent in %s; "
					+ "answered by load balancer %s, by web node %s", swarm.upLine("warmed up"),
					swarm.upLine("warning"), warmUp.outcomes().size(), figures.get("failuresByKind"),
					figures.get("failedBySentSecond"), figures.get("lbNodes"), figures.get("webNodes"))
			.isLessThanOrEqualTo(warmUp.outcomes().size() / 100);
	}

	@AfterAll
	static void down() {
		if (swarm != null) {
			swarm.close();
		}
	}

	@BeforeEach
	void untilSteady(TestInfo test) {
		SteadyLoad.untilSteady(http, reads(), RATE,
				"swarm-steady-before-" + test.getTestMethod().orElseThrow().getName());
	}

	/**
	 * What the load balancers did since {@code since}: VIP moves, their watchers, web
	 * nodes in and out of rotation, their request log counted by server, status and
	 * termination state, and the requests that took a second or more with their timers
	 * (where the time went: queued, connecting, waiting for the web node). Returns the
	 * last 40 of those events, the counts and the first ten slow requests.
	 */
	private static String printLoadBalancerLog(String what, Instant since) {
		List<String> requests = swarm.logLines("lb", since, REQUEST_LINE, Integer.MAX_VALUE);
		Map<String, Integer> counted = new TreeMap<>();
		List<String> slow = new ArrayList<>();
		for (String line : requests) {
			Matcher request = REQUEST_LINE.matcher(line);
			if (request.find()) {
				counted.merge(request.group(1) + " " + request.group(3) + " " + request.group(4), 1, Integer::sum);
				String timers = request.group(2);
				if (Long.parseLong(timers.substring(timers.lastIndexOf('/') + 1)) >= 1000) {
					slow.add(line);
				}
			}
		}
		List<String> events = swarm.logLines("lb", since, LOAD_BALANCER_EVENTS, 200);
		ComposeStack.log("load balancers during " + what + ":\n" + String.join("\n", events)
				+ "\nrequests by server, status and termination state: " + counted);
		ComposeStack.log("requests that took a load balancer 1 s or more during " + what + ": " + slow.size()
				+ " (the first 80; timers TR/Tw/Tc/Tr/Ta in ms, then status, bytes, termination state, "
				+ "connections act/fe/be/srv/retries, queues srv/backend):\n"
				+ String.join("\n", slow.subList(0, Math.min(80, slow.size()))));
		return "their state changes, watchers and web slots (the last 40):\n"
				+ String.join("\n", events.subList(Math.max(0, events.size() - 40), events.size()))
				+ "\nrequests by server, status and termination state " + counted + "; " + slow.size()
				+ " took 1 s or more, the first 10:\n" + String.join("\n", slow.subList(0, Math.min(10, slow.size())));
	}

	private static final Pattern DATABASE_EVENTS = Pattern.compile(
			"member-watch|switchover|promot|demot|acquired session lock|following a (new|different) leader|FATAL|PANIC");

	private static final Pattern JVM_WARNINGS = Pattern.compile(" (WARN|ERROR) ");

	/**
	 * When reads failed in a scenario: what the load balancers did
	 * ({@link #printLoadBalancerLog}), the tasks, the database members' role changes and
	 * the JVMs' warnings, all since {@code since}. Returns the load balancers' state
	 * changes and their watchers' verdicts, for the failed assertion's own message (which
	 * is all that the summary of a failed build shows).
	 */
	private static String explainFailures(String what, Instant since, SteadyLoad.Run run) {
		if (run.failures().isEmpty()) {
			return "";
		}
		String loadBalancers = printLoadBalancerLog(what, since);
		ComposeStack.log("tasks after " + what + ":\n" + swarm.swarm(Duration.ofMinutes(1), "status").out());
		for (String service : List.of("db1", "db2")) {
			ComposeStack.log(service + " during " + what + ":\n"
					+ String.join("\n", swarm.logLines(service, since, DATABASE_EVENTS, 60)));
		}
		for (String service : List.of("web", "app")) {
			ComposeStack.log(service + " warnings during " + what + ":\n"
					+ String.join("\n", swarm.logLines(service, since, JVM_WARNINGS, 60)));
		}
		return "\nanswered by load balancer " + Results.of(what, run, RATE).get("lbNodes") + "; " + loadBalancers;
	}

	private static LongFunction<HttpRequest> reads() {
		return SteadyLoad.catalogReads(vip, isbns);
	}

	/**
	 * {@code scripts/swarm.sh deploy v2}: the schema job, then each app and web task
	 * replaced by one of the new version, started and healthy before the old one stops.
	 */
	@Test
	@Order(1)
	void aNewVersionRollsOutWithoutAFailedRequest() {
		Instant started = Instant.now();
		Deploy deploy = deployUnderLoad("swarm-rolling-update", "st-v2");
		SteadyLoad.Run run = deploy.run();
		OrderStream orders = deploy.orders();
		Results results = deploy.results();
		String explained = explainFailures("the deploy", started, run);
		deploy.command().orThrow();
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(swarm.image("web")).isEqualTo("tierstack/web:st-v2");
		assertThat(swarm.image("app")).isEqualTo("tierstack/app:st-v2");
		assertThat(versionsSeen(run)).as("versions the web tier answered with").contains("latest", "st-v2");
		assertThat(lastVersions(run, 40)).as("the last answers").containsOnlyKeys("st-v2");
		// each answer's app node and version, or its status when it is not a 200
		Map<String, String> appVersions = new TreeMap<>();
		for (int i = 0; i < 10; i++) {
			var response = Http.get(http, vip, "/api/books?size=1");
			appVersions.put(response.headers().firstValue("X-App-Node").orElse("read " + i),
					(response.statusCode() == 200) ? response.headers().firstValue("X-App-Version").orElse("no version")
							: "status " + response.statusCode() + " (X-Web-Node "
									+ response.headers().firstValue("X-Web-Node").orElse("none") + ")");
		}
		assertThat(Set.copyOf(appVersions.values())).as("app versions after the deploy, by node: %s", appVersions)
			.containsOnly("st-v2");
	}

	/**
	 * A version whose app tier never becomes ready (it listens on another port than its
	 * health check asks): Swarm stops the update at its first task and rolls back, and
	 * the deploy command says so.
	 */
	@Test
	@Order(2)
	void aVersionThatFailsItsHealthCheckIsRolledBack() {
		Instant started = Instant.now();
		String before = swarm.image("app");
		Deploy deploy = deployUnderLoad("swarm-broken-version", "st-broken");
		SteadyLoad.Run run = deploy.run();
		String explained = explainFailures("the broken version's deploy", started, run);
		assertThat(deploy.command().exitCode()).as("the deploy's exit code").isNotZero();
		assertThat(deploy.command().err()).contains("rollback");
		assertThat(swarm.image("app")).as("the app tier after the rollback").isEqualTo(before);
		assertThat(swarm.image("web")).as("the web tier, never updated").isEqualTo("tierstack/web:st-v2");
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		FailoverIT.assertOrdersStoredOnceAndReadable(deploy.orders(), deploy.results());
	}

	/**
	 * {@code scripts/swarm.sh rollback}: web, then app, back to the version before the
	 * last deploy, one task at a time as in a deploy.
	 */
	@Test
	@Order(3)
	void aRollbackReturnsToThePreviousVersionWithoutAFailedRequest() {
		Instant started = Instant.now();
		Proc.Result[] rollback = new Proc.Result[1];
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3),
				TAIL, (event) -> rollback[0] = swarm.swarm(Duration.ofMinutes(7), "rollback"));
		Results.of("swarm-rollback", run, RATE)
			.put("rollbackMs", TimeUnit.NANOSECONDS.toMillis(run.actionNanos()))
			.put("rollbackOutput", rollback[0].out().lines().toList())
			.put("lastWebVersions", lastVersions(run, 40))
			.write();
		String explained = explainFailures("the rollback", started, run);
		rollback[0].orThrow();
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		assertThat(swarm.image("web")).isEqualTo("tierstack/web:latest");
		assertThat(swarm.image("app")).isEqualTo("tierstack/app:latest");
		assertThat(lastVersions(run, 40)).as("the last answers").containsOnlyKeys("latest");
	}

	/** A web task killed: Swarm starts another, which the load balancers take in. */
	@Test
	@Order(4)
	void aKilledTaskIsReplacedAndBackInRotation() {
		Instant started = Instant.now();
		String victim = swarm.containers("web").getFirst();
		long[] backMs = new long[1];
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3),
				TAIL, (event) -> {
					long start = System.nanoTime();
					event.set(start);
					String replacement = swarm.killAndAwaitReplacement("web", victim, Duration.ofMinutes(3));
					assertThat(replacement).as("a new web task").isNotNull();
					String host = swarm.hostName(replacement);
					while (System.nanoTime() - start < TimeUnit.MINUTES.toNanos(3)) {
						var response = Http.get(http, vip, "/books/" + isbns.getFirst());
						if (host.equals(response.headers().firstValue("X-Web-Node").orElse(null))) {
							backMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
							return;
						}
						ComposeStack.sleep(Duration.ofMillis(100));
					}
				});
		Results.of("swarm-killed-task", run, RATE).put("killToBackInRotationMs", backMs[0]).write();
		String explained = explainFailures("the killed task's replacement", started, run);
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		assertThat(backMs[0]).as("ms until the new task served").isPositive();
	}

	/**
	 * An etcd member that hangs (its process stopped: its sockets accept and it answers
	 * nothing) fails its health check; Swarm replaces the task, which rejoins the quorum
	 * as the same member, from its volume. The other two keep the quorum meanwhile: reads
	 * and keyed orders go on.
	 */
	@Test
	@Order(5)
	void aHungEtcdMemberIsReplacedAndRejoinsTheQuorum() {
		String victim = swarm.containers("etcd2").getFirst();
		Map<String, Object> figures = new TreeMap<>();
		boolean[] unhealthy = new boolean[1];
		String[] replacement = new String[1];
		boolean[] rejoined = new boolean[1];
		Instant started = Instant.now();
		OrderStream orders = new OrderStream(vip, isbns, "swarm-etcd-hung-", Duration.ofSeconds(30)).start();
		SteadyLoad.Run run;
		try {
			run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3), TAIL,
					(event) -> {
						long hung = System.nanoTime();
						event.set(hung);
						swarm.hang(victim);
						unhealthy[0] = waited(figures, "hungToUnhealthyMs", hung, Duration.ofMinutes(2),
								() -> "unhealthy".equals(swarm.health(victim)));
						waited(figures, "hungToReplacedMs", hung, Duration.ofMinutes(2),
								() -> (replacement[0] = otherThan(swarm.containers("etcd2"), victim)) != null);
						if (replacement[0] != null) {
							rejoined[0] = waited(figures, "hungToInQuorumMs", hung, Duration.ofMinutes(1),
									() -> swarm.etcdInQuorum(replacement[0]));
						}
					});
		}
		finally {
			orders.stopAndJoin();
			if (replacement[0] == null) {
				swarm.resume(victim);
			}
		}
		if (replacement[0] != null) {
			waited(figures, "hungToHealthyMs", run.eventNanos(), Duration.ofMinutes(1),
					() -> "healthy".equals(swarm.health(replacement[0])));
		}
		Results results = orders.check(Results.of("swarm-etcd-hung", run, RATE), swarm, http)
			.put("figuresMs", figures)
			.put("replacementHealth", (replacement[0] != null) ? swarm.health(replacement[0]) : "none");
		results.write();
		String explained = explainFailures("the hung etcd member", started, run);
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(unhealthy[0]).as("the hung etcd2 task unhealthy").isTrue();
		assertThat(replacement[0]).as("a new etcd2 task").isNotNull();
		assertThat(rejoined[0]).as("the new etcd2 task in the quorum").isTrue();
		assertThat(swarm.health(replacement[0])).as("the new etcd2 task's health").isEqualTo("healthy");
	}

	/**
	 * Whether {@code condition} held within {@code timeout}; if it did, the time since
	 * {@code since} goes into {@code figures} under {@code name}.
	 */
	private static boolean waited(Map<String, Object> figures, String name, long since, Duration timeout,
			BooleanSupplier condition) {
		boolean held = SwarmStack.within(timeout, Duration.ofMillis(200), condition);
		if (held) {
			figures.put(name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
		}
		return held;
	}

	/** The first of {@code containers} that is not {@code other}, or null. */
	private static String otherThan(List<String> containers, String other) {
		return containers.stream().filter((container) -> !container.equals(other)).findFirst().orElse(null);
	}

	/**
	 * The load balancer that holds the VIP killed: the other takes the VIP (reads sent
	 * while neither holds it may fail, as under Compose; none sent after
	 * {@link #VIP_MOVE_BOUND}), and Swarm's new task gets the freed edge address and
	 * joins as the backup.
	 */
	@Test
	@Order(6)
	void theLoadBalancerHoldingTheVipKilledComesBackOnItsAddressAsBackup() {
		List<String> holders = swarm.vipHolders();
		assertThat(holders).as("load balancers holding the VIP").hasSize(1);
		String victim = holders.getFirst();
		String address = swarm.edgeAddress(victim);
		long[] replacedMs = new long[1];
		String[] replacement = new String[1];
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3),
				TAIL, (event) -> {
					long start = System.nanoTime();
					event.set(start);
					replacement[0] = swarm.killAndAwaitReplacement("lb", victim, Duration.ofMinutes(2));
					replacedMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
					// Serving again, as the backup: a few seconds of both nodes up.
					ComposeStack.sleep(Duration.ofSeconds(5));
				});
		// The kill is timed from the CLI call; the VIP moves in well under a second.
		long bound = run.eventNanos() + VIP_MOVE_BOUND.toNanos();
		List<SteadyLoad.Outcome> failedAfterBound = run.failures()
			.stream()
			.filter((outcome) -> outcome.sentNanos() > bound)
			.toList();
		long lastFailedSentMs = run.failures()
			.stream()
			.mapToLong((outcome) -> TimeUnit.NANOSECONDS.toMillis(outcome.sentNanos() - run.eventNanos()))
			.max()
			.orElse(-1);
		List<String> holdersAfter = swarm.vipHolders();
		Results.of("swarm-kill-lb-holding-vip", run, RATE)
			.put("killedAddress", address)
			.put("lastFailedSentAfterKillMs", lastFailedSentMs)
			.put("replacedAfterMs", replacedMs[0])
			.put("replacementAddress", (replacement[0] != null) ? swarm.edgeAddress(replacement[0]) : "")
			.put("failedSentOverBoundAfterKill", failedAfterBound.size())
			.write();
		assertThat(replacement[0]).as("a new load-balancer task").isNotNull();
		assertThat(swarm.edgeAddress(replacement[0])).as("the new task's edge address").isEqualTo(address);
		assertThat(holdersAfter).as("VIP holders after the new task joined").hasSize(1).doesNotContain(replacement[0]);
		assertThat(failedAfterBound).as("reads failed that were sent over %s after the kill", VIP_MOVE_BOUND).isEmpty();
	}

	/**
	 * A second host joins the swarm ({@code scripts/swarm-host.sh}: an engine in a
	 * network namespace of its own, linked to this one): web and app scale to three under
	 * the stream ({@link #scaleUpOntoTheSecondHost}), and Swarm places the third task of
	 * each there, where the load balancers and the web tier reach them over the overlays
	 * and the app task reaches the database here. The database member db2 moves there (a
	 * node label and a constraint): it copies the leader's data over the peer overlay and
	 * becomes its synchronous standby, so that every commit here waits for the other
	 * host; it leads from there for a while ({@link #leadFromTheSecondHost}); then it
	 * moves back. (A replica lost with its host still costs a few reads on app nodes a
	 * few minutes old: docs/benchmarks.md.) Two more hosts join as managers that take no
	 * task, three managers in all. Then, under the stream and keyed orders, the second
	 * host and one of those managers are lost (their links go down): the second host's
	 * tasks leave rotation, and the two managers left, a majority, mark it down and start
	 * its tasks' replacements here; web and app then scale back to two. A client with a
	 * deadline per attempt (as in the gray failures) loses no read and no order.
	 */
	@Test
	@Order(7)
	void aSecondHostTakesTasksAndLosingItFailsNoRequest() {
		boolean passed = false;
		boolean memberMoved = false;
		try {
			Map<String, Object> figures = new TreeMap<>();
			long start = System.nanoTime();
			swarm.secondHost(Duration.ofMinutes(5), "add", swarm.image("web"), swarm.image("app"), swarm.image("db2"))
				.orThrow();
			figures.put("addHostMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
			String node = swarm.secondHost(Duration.ofSeconds(30), "node").orThrow().trimmed();
			start = System.nanoTime();
			Map<String, String> managers = swarm.addManagers(Duration.ofMinutes(1));
			figures.put("addManagersMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
			Map<String, Long> managersBefore = awaitManagers(Map.of("leader", 1L, "reachable", 2L));
			Map<String, String> remote = scaleUpOntoTheSecondHost(figures);
			start = System.nanoTime();
			memberMoved = true;
			remote.put("db2", swarm.placeMemberOnSecondHost("db2", node, Duration.ofMinutes(3)));
			figures.put("db2SynchronousThereMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
			leadFromTheSecondHost();
			start = System.nanoTime();
			boolean memberBack = swarm.placeMemberBack("db2", Duration.ofMinutes(3));
			memberMoved = false;
			figures.put("db2SynchronousHereAgainMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
			assertThat(memberBack).as("db2 back here, the synchronous standby again").isTrue();
			SteadyLoad.untilSteady(http, reads(), RATE, "swarm-steady-with-a-second-host");
			Instant started = Instant.now();
			OrderStream orders = new OrderStream(vip, isbns, "swarm-host-", Duration.ofSeconds(30),
					GrayFailureIT.ATTEMPT_TIMEOUT)
				.start();
			boolean[] markedDown = new boolean[1];
			boolean[] replaced = new boolean[1];
			SteadyLoad.Run run;
			try {
				run = new SteadyLoad(http, reads(), RATE).retryingAfter(GrayFailureIT.ATTEMPT_TIMEOUT)
					.run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3), TAIL, (event) -> {
						long lost = System.nanoTime();
						event.set(lost);
						swarm.secondHost(Duration.ofSeconds(30), "lose").orThrow();
						swarm.host(LOST_MANAGER, Duration.ofSeconds(30), "lose").orThrow();
						markedDown[0] = waited(figures, "lostToMarkedDownMs", lost, Duration.ofMinutes(2),
								() -> "down".equals(swarm.nodeState(node)));
						replaced[0] = waited(figures, "lostToReplacedHereMs", lost, Duration.ofMinutes(3),
								() -> swarm.containers("web").size() == 3 && swarm.containers("app").size() == 3);
						ComposeStack.sleep(Duration.ofSeconds(5));
						long down = System.nanoTime();
						swarm.scale(2, "web", "app");
						figures.put("scaledDownMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down));
					});
			}
			finally {
				orders.stopAndJoin();
			}
			Map<String, Long> managersAfter = awaitManagers(Map.of("leader", 1L, "reachable", 1L, "unreachable", 1L));
			Results results = orders.check(Results.of("swarm-second-host", run, RATE), swarm, http)
				.put("tasksOnIt", remote)
				.put("figuresMs", figures)
				.put("nodeStateAfter", swarm.nodeState(node))
				.put("managersBefore", managersBefore)
				.put("managersAfter", managersAfter)
				.put("lostManagerStateAfter", swarm.nodeState(managers.get(LOST_MANAGER)));
			results.write();
			String explained = explainFailures("the second host's loss", started, run);
			SteadyLoad.assertSentAsScheduled(run);
			assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
			FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
			assertThat(run.outcomes().stream().map(SteadyLoad.Outcome::webNode))
				.as("reads the web task on the second host answered")
				.contains(remote.get("web"));
			assertThat(run.outcomes().stream().map(SteadyLoad.Outcome::appNode))
				.as("reads the app task on the second host answered")
				.contains(remote.get("app"));
			assertThat(managersBefore).as("managers before").isEqualTo(Map.of("leader", 1L, "reachable", 2L));
			assertThat(managersAfter).as("managers after one was lost")
				.isEqualTo(Map.of("leader", 1L, "reachable", 1L, "unreachable", 1L));
			assertThat(markedDown[0]).as("the lost host marked down").isTrue();
			assertThat(replaced[0]).as("its web and app tasks replaced here").isTrue();
			passed = true;
		}
		finally {
			if (memberMoved) {
				swarm.placeMemberBack("db2", Duration.ofMinutes(3));
			}
			swarm.removeHosts(!passed, 2, "web", "app");
		}
	}

	/**
	 * Web and app scaled to three tasks under the stream: Swarm places the third of each
	 * on the second host, which then answers reads. No read fails.
	 * @return the host names of the web and app tasks there
	 */
	private static Map<String, String> scaleUpOntoTheSecondHost(Map<String, Object> figures) {
		Instant started = Instant.now();
		Map<String, String> remote = new TreeMap<>();
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3),
				TAIL, (event) -> {
					long start = System.nanoTime();
					event.set(start);
					remote.putAll(swarm.scaleOntoSecondHost(3, Duration.ofMinutes(3), "web", "app"));
					figures.put("scaledOntoItMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
					awaitAnswersFrom(remote, Duration.ofMinutes(2));
					figures.put("servedFromItMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
				});
		Results.of("swarm-scaling-up", run, RATE).put("tasksOnIt", remote).write();
		String explained = explainFailures("the scale-up onto the second host", started, run);
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads while web and app scaled up%s", explained).isEmpty();
		assertThat(remote).as("web and app tasks on the second host").containsKeys("web", "app");
		assertThat(run.outcomes().stream().map(SteadyLoad.Outcome::webNode))
			.as("reads the new web task on the second host answered")
			.contains(remote.get("web"));
		return remote;
	}

	/**
	 * The leader on the second host, under the stream and keyed orders: a planned
	 * switchover makes db2 there the leader, so that the app tasks here commit over the
	 * data overlay and every commit waits for db1 here, its synchronous standby; after
	 * {@link #LED_FROM_THE_SECOND_HOST}, a second one makes db1 the leader again. No read
	 * fails, every acknowledged order is stored once, and orders are placed within 3 s of
	 * either switchover.
	 */
	private static void leadFromTheSecondHost() {
		SteadyLoad.untilSteady(http, reads(), RATE, "swarm-steady-with-db2-on-a-second-host");
		Instant started = Instant.now();
		OrderStream orders = new OrderStream(vip, isbns, "swarm-remote-leader-", Duration.ofSeconds(30)).start();
		// led there, switched back, led here again
		long[] marks = new long[3];
		boolean[] switched = new boolean[2];
		SteadyLoad.Run run;
		try {
			run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3), TAIL,
					(event) -> {
						event.set(System.nanoTime());
						switched[0] = swarm.switchover("db1", "db2", "db1", Duration.ofMinutes(1));
						marks[0] = System.nanoTime();
						ComposeStack.sleep(LED_FROM_THE_SECOND_HOST);
						marks[1] = System.nanoTime();
						switched[1] = switched[0] && swarm.switchover("db2", "db1", "db1", Duration.ofMinutes(1));
						marks[2] = System.nanoTime();
					});
		}
		finally {
			orders.stopAndJoin();
			if ("Leader".equals(swarm.databaseRoles("db1").get("db2"))) {
				// a switchover back that did not happen: db2 must not move while it leads
				try {
					swarm.switchover("db2", "db1", "db1", Duration.ofMinutes(1));
				}
				catch (RuntimeException ex) {
					ComposeStack.log("switching back to db1: " + ex.getMessage());
				}
			}
		}
		long thereGap = orders.writeGapMillis(run.eventNanos());
		long backGap = orders.writeGapMillis(marks[1]);
		long ledThere = orders.acknowledgedSentBetween(marks[0], marks[1]);
		Results results = orders.check(Results.of("swarm-leader-on-second-host", run, RATE), swarm, http)
			.put("switchoverThereMs", TimeUnit.NANOSECONDS.toMillis(marks[0] - run.eventNanos()))
			.put("switchoverBackMs", TimeUnit.NANOSECONDS.toMillis(marks[2] - marks[1]))
			.put("writeGapThereMs", thereGap)
			.put("writeGapBackMs", backGap)
			.put("ordersWhileLedThere", ledThere)
			.put("orderP50LedHereMs", orders.percentileSentBetween(0, run.eventNanos(), 50))
			.put("orderP50LedThereMs", orders.percentileSentBetween(marks[0], marks[1], 50))
			.put("orderP99LedThereMs", orders.percentileSentBetween(marks[0], marks[1], 99))
			.put("rolesAfter", swarm.databaseRoles("db1"));
		results.write();
		String explained = explainFailures("the leader on the second host", started, run);
		assertThat(switched).as("switched over to db2 there, and back to db1 here").containsExactly(true, true);
		SteadyLoad.assertSentAsScheduled(run);
		assertThat(run.failures()).as("failed reads%s", explained).isEmpty();
		FailoverIT.assertOrdersStoredOnceAndReadable(orders, results);
		assertThat(ledThere).as("orders placed while db2 there led").isPositive();
		assertThat(List.of(thereGap, backGap)).as("each switchover to the first acknowledged new order (ms)")
			.allSatisfy((gap) -> assertThat(gap).isBetween(0L, 3_000L));
	}

	/**
	 * The swarm's managers by Raft state once they are as {@code expected} (within 30 s),
	 * or as they are then.
	 */
	private static Map<String, Long> awaitManagers(Map<String, Long> expected) {
		Map<String, Long> managers = SwarmStack.firstWithin(Duration.ofSeconds(30), Duration.ofMillis(500),
				swarm::managers, expected::equals);
		return (managers != null) ? managers : swarm.managers();
	}

	/**
	 * Waits until reads through the VIP have been answered (200) by the web and the app
	 * task on the second host.
	 */
	private static void awaitAnswersFrom(Map<String, String> remote, Duration timeout) {
		boolean[] answered = new boolean[2];
		boolean both = SwarmStack.within(timeout, Duration.ofMillis(50), () -> {
			var response = Http.get(http, vip, "/api/books?size=1");
			if (response.statusCode() == 200) {
				answered[0] |= remote.get("web").equals(response.headers().firstValue("X-Web-Node").orElse(null));
				answered[1] |= remote.get("app").equals(response.headers().firstValue("X-App-Node").orElse(null));
			}
			return answered[0] && answered[1];
		});
		assertThat(both).as("answers (200) from the second host's web and app tasks").isTrue();
	}

	/** A deploy run under the stream of reads and keyed orders, and what came of them. */
	record Deploy(SteadyLoad.Run run, OrderStream orders, Proc.Result command, Results results) {
	}

	private static Deploy deployUnderLoad(String scenario, String version) {
		OrderStream orders = new OrderStream(vip, isbns, scenario + "-", Duration.ofSeconds(30)).start();
		Proc.Result[] deploy = new Proc.Result[1];
		SteadyLoad.Run run = new SteadyLoad(http, reads(), RATE).run(MIN_DURATION, MAX_DURATION, Duration.ofSeconds(3),
				TAIL, (event) -> deploy[0] = swarm.swarm(Duration.ofMinutes(7), "deploy", version));
		orders.stopAndJoin();
		Results results = orders.check(Results.of(scenario, run, RATE), swarm, http)
			.put("deployMs", TimeUnit.NANOSECONDS.toMillis(run.actionNanos()))
			.put("deployExitCode", deploy[0].exitCode())
			.put("deployOutput", deploy[0].out().lines().toList())
			.put("deployError", deploy[0].err().strip())
			.put("lastWebVersions", lastVersions(run, 40));
		results.write();
		return new Deploy(run, orders, deploy[0], results);
	}

	private static Set<String> versionsSeen(SteadyLoad.Run run) {
		return Set.copyOf(run.outcomes()
			.stream()
			.map(SteadyLoad.Outcome::webVersion)
			.filter((version) -> version != null)
			.toList());
	}

	/** The web versions of the last answers sent, by count. */
	private static Map<String, Long> lastVersions(SteadyLoad.Run run, int last) {
		Map<String, Long> versions = new TreeMap<>();
		run.outcomes()
			.stream()
			.filter((outcome) -> outcome.webVersion() != null)
			.sorted((a, b) -> Long.compare(b.sentNanos(), a.sentNanos()))
			.limit(last)
			.forEach((outcome) -> versions.merge(outcome.webVersion(), 1L, Long::sum));
		return versions;
	}

}
