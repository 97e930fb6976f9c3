package dev.tierstack.systemtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
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
 * Nodes that fail without dying, under the failover scenarios' stream of reads and keyed
 * orders: a container that hangs ({@code docker pause}), HAProxy alone hung inside a load
 * balancer, and a node whose packets on one network are all dropped. Each fault lasts
 * {@link #FAULT_FOR} and is then healed; the node must come back into rotation by itself.
 * <p>
 * The client gives each attempt {@link #ATTEMPT_TIMEOUT} and then sends a read, or an
 * order with the same key, once more: a request held by a process that stopped answers
 * nothing until it runs again, whatever the rest of the stack does, and a client with a
 * deadline does not wait for it. Everything else is the stack's work: no read fails,
 * every order is acknowledged and stored once, and no answer takes {@link #SLOWEST} or
 * more ({@link #SLOWEST_RETRIED} for a read the client had to send again).
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(5)
class GrayFailureIT {

	static final Duration FAULT_AT = Duration.ofSeconds(4);

	static final Duration FAULT_FOR = Duration.ofSeconds(8);

	/** After the heal: the node's way back into rotation is part of the scenario. */
	static final Duration TAIL = Duration.ofSeconds(4);

	static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(2500);

	static final Duration SLOWEST = Duration.ofSeconds(3);

	/**
	 * HAProxy's time for one attempt of a request that may be repeated (its
	 * {@code timeout server} for such a request), after which it tries another web node.
	 */
	static final Duration LB_ATTEMPT = Duration.ofMillis(2200);

	/**
	 * A read or a keyed order whose first attempt was held by a process that stopped (or
	 * by a load balancer cut off from the web nodes): the client's attempt timeout, then
	 * its retry, an ordinary request that HAProxy gives one attempt (2.2 s). The retries
	 * of the reads held until the VIP moved arrive together with the new reads, twice the
	 * usual rate for a second or so, and the retry can take over a second on 2 cores.
	 */
	static final Duration SLOWEST_RETRIED = ATTEMPT_TIMEOUT.plus(LB_ATTEMPT);

	/**
	 * A read that took this long most likely waited for a node that did not answer (they
	 * take tens of milliseconds otherwise), but on a busy host a read the healthy nodes
	 * answered can take as long; one held until {@link #LB_ATTEMPT} cannot.
	 */
	static final Duration HELD = Duration.ofMillis(750);

	/**
	 * What a load balancer logs when it takes a silent web node out of rotation
	 * ({@code haproxy/silent-nodes.lua}).
	 */
	static final String TAKEN_OUT = "taken out of rotation";

	/** How soon a hung node stops receiving requests. */
	static final Duration LEFT_OUT = Duration.ofSeconds(2);

	/**
	 * Long enough for the cut-off primary's watcher to hand over (2 s without a reply
	 * from the app tier, then the switchover) and for the app tier to find the new
	 * primary while the cut lasts.
	 */
	static final Duration PRIMARY_CUT_FOR = Duration.ofSeconds(20);

	/**
	 * The longest an order may take from its first attempt to its acknowledgement while
	 * the primary is cut off: the handover, plus the app tier's connections to the old
	 * primary, which end by their network timeout (6 s). Without the handover, an order
	 * sent at the cut would wait for the heal, {@link #PRIMARY_CUT_FOR}.
	 */
	static final Duration PRIMARY_CUT_WRITE_GAP = Duration.ofSeconds(14);

	/**
	 * Past Patroni's leader ttl (20 s, counted from the leader's last renewal, up to
	 * loop_wait (2 s) before the hang), with time for the promotion before the old
	 * primary resumes.
	 */
	static final Duration PRIMARY_HUNG_PAST_LEASE_FOR = Duration.ofSeconds(25);

	/**
	 * How long the client retries an order with its key while a database member is at
	 * fault (at least; a fault that lasts longer adds 15 s to its length): a primary that
	 * hangs holds every order until it resumes or its key expires.
	 */
	static final Duration DATABASE_ORDER_RETRY_WINDOW = Duration.ofSeconds(30);

	/**
	 * How long the backup hears no advert: long enough to become master (three adverts
	 * and its skew, 0.36 s), short of its second set of gratuitous ARPs (1 s after that).
	 */
	static final Duration DEAF_FOR = Duration.ofMillis(1000);

	/** How long both load balancers are cut off from the web network. */
	static final Duration BOTH_CUT_FOR = Duration.ofSeconds(8);

	/** How long a load balancer holds the VIP before its priority gets the bonus. */
	static final Duration HOLDING_BONUS_AFTER = Duration.ofSeconds(2);

	/** How soon a load balancer that cannot serve gives the VIP to its peer. */
	static final Duration VIP_MOVE = Duration.ofSeconds(2);

	/** A web node's warning that the app tier's DNS name did not resolve. */
	private static final Pattern FAILED_APP_TIER_LOOKUP = Pattern.compile("App tier DNS name '\\S+' does not resolve");

	/** A load balancer's line as it puts a web slot in maintenance for its DNS answer. */
	private static final Pattern OUT_FOR_DNS = Pattern.compile("maintenance \\((unspecified )?DNS");

	/**
	 * keepalived's own line as it takes the VIP, stamped by Docker as it is written (the
	 * notify script's line comes later: it is a process forked after the change).
	 */
	private static final Pattern MASTER_TRANSITION = Pattern.compile("^(\\S+Z) .*\\(edge\\) Entering MASTER STATE");

	/** keepalived's line as the node leaves MASTER, stamped by Docker. */
	private static final Pattern HOLDER_LEFT = Pattern.compile("^(\\S+Z) .*\\(edge\\) Entering (BACKUP|FAULT) STATE");

	/** What the database members' watcher (member-watch.py) logs. */
	private static final Pattern MEMBER_WATCH = Pattern.compile("tierstack-member-watch");

	private static ComposeStack stack;

	private static String vip;

	private static HttpClient http;

	private static List<String> isbns;

	private static Rotation rotation;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		vip = stack.vipUrl();
		http = Http.client();
		isbns = Http.isbnsInStock(http, vip, 200);
		rotation = new Rotation(stack, http, isbns);
	}

	@BeforeEach
	void untilSteady(TestInfo test) {
		SteadyLoad.untilSteady(http, reads(), FailoverIT.RATE,
				"steady-before-" + test.getTestMethod().orElseThrow().getName());
	}

	private static LongFunction<HttpRequest> reads() {
		return SteadyLoad.catalogReads(vip, isbns);
	}

	@Test
	@Order(1)
	void theVipHolderCutOffFromTheWebNetwork() {
		Dropping cut = new Dropping("web");
		loadBalancerFault("vip-holder-cut-from-web", cut::apply, cut::heal);
	}

	/**
	 * The VIP holder taken off the web network ({@code docker network disconnect}): its
	 * checks of the web nodes fail at once (no route), and their names leave its DNS.
	 */
	@Test
	@Order(2)
	void theVipHolderDisconnectedFromTheWebNetwork() {
		Disconnection cut = new Disconnection("web");
		loadBalancerFault("vip-holder-disconnected-from-web", cut::apply, cut::heal);
	}

	@Test
	@Order(3)
	void haproxyHungOnTheVipHolder() {
		loadBalancerFault("vip-holder-haproxy-hung", (container) -> stack.signal(container, "haproxy", "STOP"),
				(container) -> stack.signal(container, "haproxy", "CONT"));
	}

	/**
	 * The whole VIP holder hung ({@code docker pause}): the peer takes the VIP after
	 * three missed adverts. Resumed, the old holder still counts itself master, with the
	 * bonus it had for holding; so does the new holder by then, and VRRP breaks the tie
	 * by address: the VIP ends with the higher one, which may be the resumed node.
	 */
	@Test
	@Order(4)
	void theVipHolderHung() {
		loadBalancerFault("vip-holder-hung", (container) -> stack.pause(container),
				(container) -> stack.unpause(container), true);
	}

	/**
	 * The backup deaf to the holder's adverts for {@link #DEAF_FOR}, as a stall on the
	 * host makes it: it becomes master too, at the holder's base priority. The holder,
	 * whose priority has 10 more for holding the VIP, answers its advert, and the backup
	 * yields as soon as it hears again; the VIP stays where it was. The backup is given
	 * the higher address, which would win a tie.
	 */
	@Test
	@Order(5)
	void aBackupThatMissesAdvertsLeavesTheVipWithTheHolder() {
		String holder = rotation.vipHolder();
		if (hasTheHigherAddress(holder)) {
			holder = moveTheVipAwayFrom(holder);
		}
		String peer = other(holder, "lb1", "lb2");
		String holderContainer = stack.containers(holder).get(0);
		String peerContainer = stack.containers(peer).get(0);
		String peerPid = stack.inspect(peerContainer, "{{.State.Pid}}");
		Instant[] faultedAt = new Instant[1];
		Scenario scenario = scenario("vip-backup-deaf", peerContainer, DEAF_FOR, Duration.ofSeconds(15), () -> {
			faultedAt[0] = Instant.now();
			ComposeStack.dropIncomingVrrp(peerPid, true);
		}, () -> ComposeStack.dropIncomingVrrp(peerPid, false));
		long backupMasterAfter = becameMaster(peerContainer, faultedAt[0])
			.map((master) -> Duration.between(faultedAt[0], master).toMillis())
			.orElse(-1L);
		List<Instant> holderLeft = stampedSince(holderContainer, faultedAt[0], HOLDER_LEFT);
		String holderAfter = rotation.vipHolder();
		boolean backupHoldsTheVip = rotation.holdsTheVip(peerContainer);
		scenario.results()
			.put("holder", holder)
			.put("backupBecameMasterAfterMs", backupMasterAfter)
			.put("holderLeftMaster", holderLeft)
			.put("vipHolderAfter", holderAfter)
			.put("backupHoldsTheVipAfter", backupHoldsTheVip)
			.write();
		assertThat(backupMasterAfter).as("the deaf backup became master after (ms)").isBetween(0L, DEAF_FOR.toMillis());
		assertThat(holderLeft).as("the holder's keepalived left MASTER").isEmpty();
		assertThat(holderAfter).as("VIP holder after").isEqualTo(holder);
		assertThat(rotation.holdsTheVip(holderContainer)).as("the holder has the VIP on its interface").isTrue();
		assertThat(backupHoldsTheVip).as("the backup still has the VIP on its interface").isFalse();
		scenario.assertUnharmed();
	}

	/**
	 * Both load balancers cut off from the web network at once: neither can serve, and
	 * each sees it at its own moment (its own health checks). The VIP stays up on one of
	 * them, answering (with 503 pages): never both down. It moves at most once during the
	 * cut (when the holder sees the trouble first, to a peer that does not see it yet),
	 * at most once at the heal (to the first node that serves again), and never after
	 * both serve: no flapping.
	 */
	@Test
	@Order(6)
	void bothLoadBalancersCutOffFromTheWebNetwork() {
		List<String> lbs = List.of(stack.containers("lb1").get(0), stack.containers("lb2").get(0));
		String holder = rotation.vipHolder();
		Instant since = Instant.now();
		int samples = 0;
		int neitherHolds = 0;
		int bothHold = 0;
		int unanswered = 0;
		lbs.forEach((container) -> stack.dropOutgoing(container, "web", true));
		Instant healedAt;
		try {
			long end = System.nanoTime() + BOTH_CUT_FOR.toNanos();
			while (System.nanoTime() < end) {
				boolean first = rotation.holdsTheVip(lbs.get(0));
				boolean second = rotation.holdsTheVip(lbs.get(1));
				samples++;
				neitherHolds += (!first && !second) ? 1 : 0;
				bothHold += (first && second) ? 1 : 0;
				unanswered += vipAnswers() ? 0 : 1;
				ComposeStack.sleep(Duration.ofMillis(250));
			}
		}
		finally {
			lbs.forEach((container) -> stack.dropOutgoing(container, "web", false));
			healedAt = Instant.now();
		}
		rotation.waitUntilLoadBalancersSeeWebServersUp(2);
		Instant servingAt = Instant.now();
		ComposeStack.sleep(Duration.ofSeconds(3));
		List<Instant> duringCut = new ArrayList<>();
		List<Instant> afterHeal = new ArrayList<>();
		for (String container : lbs) {
			for (Instant master : mastersSince(container, since)) {
				(master.isBefore(healedAt) ? duringCut : afterHeal).add(master);
			}
		}
		Results.of("both-lbs-cut-from-web")
			.put("holderBefore", holder)
			.put("holderAfter", rotation.vipHolder())
			.put("samples", samples)
			.put("neitherHeldTheVip", neitherHolds)
			.put("bothHeldTheVip", bothHold)
			.put("vipUnanswered", unanswered)
			.put("movesDuringCut", duringCut.size())
			.put("movesAfterHeal", afterHeal.size())
			.put("bothServingAfterHealMs", Duration.between(healedAt, servingAt).toMillis())
			.put("loadBalancerEvents", FailoverIT.loadBalancerEvents(stack, since))
			.write();
		assertThat(neitherHolds).as("samples where neither node held the VIP").isZero();
		assertThat(unanswered).as("samples where the VIP did not answer").isZero();
		assertThat(duringCut).as("VIP moves while both were cut").hasSizeLessThanOrEqualTo(1);
		assertThat(afterHeal).as("VIP moves after the heal").hasSizeLessThanOrEqualTo(1);
		assertThat(afterHeal).as("VIP moves after both served again").allMatch((master) -> master.isBefore(servingAt));
	}

	/**
	 * Docker's DNS unanswered for {@link #FAULT_FOR} on both load balancers and both web
	 * nodes at once, as when the engine, which answers it, stalls: each keeps the web
	 * nodes' or app instances' addresses it has, their health checks alone decide whether
	 * they serve, and no read fails. A node that leaves the DNS for good still leaves the
	 * rotation by its checks (docs/design.md, "Health checks alone bring a restarted node
	 * back").
	 */
	@Test
	@Order(7)
	void dockersDnsUnansweredOnTheLoadBalancersAndWebNodes() {
		List<String> lbs = new ArrayList<>(stack.containers("lb1"));
		lbs.addAll(stack.containers("lb2"));
		List<String> webs = stack.containers("web");
		List<String> askers = new ArrayList<>(lbs);
		askers.addAll(webs);
		List<String> pids = askers.stream().map((container) -> stack.inspect(container, "{{.State.Pid}}")).toList();
		Map<String, Long> unansweredBefore = dnsUnanswered(lbs);
		Instant since = Instant.now();
		Scenario scenario;
		try {
			scenario = scenario("dns-unanswered", askers.get(0), () -> pids.forEach(ComposeStack::dropDns),
					() -> pids.forEach(ComposeStack::answerDnsAgain));
		}
		finally {
			// A step of the fault that failed leaves no node without its DNS for the
			// scenarios after this one.
			pids.forEach(ComposeStack::answerDnsAgain);
		}
		Map<String, Long> unanswered = dnsUnanswered(lbs);
		unanswered.replaceAll((lb, count) -> count - unansweredBefore.get(lb));
		Map<String, Integer> failedLookups = new TreeMap<>();
		webs.forEach((container) -> failedLookups.put(stack.name(container),
				stack.logLines(container, since, FAILED_APP_TIER_LOOKUP).size()));
		long outForDns = FailoverIT.loadBalancerEvents(stack, since)
			.values()
			.stream()
			.flatMap(List::stream)
			.filter((line) -> OUT_FOR_DNS.matcher(line).find())
			.count();
		scenario.results()
			.put("dnsQueriesUnansweredByLoadBalancer", unanswered)
			.put("failedAppTierLookupsByWebNode", failedLookups)
			.put("webServersOutForDns", outForDns)
			.write();
		assertThat(unanswered).as("DNS queries each load balancer got no answer to: it met the fault")
			.allSatisfy((lb, count) -> assertThat(count).as(lb).isPositive());
		assertThat(failedLookups).as("failed lookups of the app tier's name each web node logged: it met the fault")
			.allSatisfy((web, count) -> assertThat(count).as(web).isPositive());
		assertThat(outForDns).as("web servers the load balancers put in maintenance for DNS").isZero();
		scenario.assertUnharmed();
	}

	/**
	 * Each load balancer's count of DNS queries it sent and got no valid answer to
	 * (HAProxy's resolvers: sent less valid).
	 */
	private static Map<String, Long> dnsUnanswered(List<String> lbs) {
		Map<String, Long> unanswered = new TreeMap<>();
		for (String container : lbs) {
			Map<String, Long> counters = new TreeMap<>();
			for (String line : stack.haproxyAdmin(container, "show resolvers docker")) {
				String[] counter = line.strip().split(":\\s+");
				if (counter.length == 2 && counter[1].matches("\\d+")) {
					counters.merge(counter[0], Long.parseLong(counter[1]), Long::sum);
				}
			}
			unanswered.put(stack.name(container), counters.get("sent") - counters.get("valid"));
		}
		return unanswered;
	}

	/**
	 * Whether a load balancer answers on the VIP within 2 s: its own endpoint, which
	 * names it whether or not it can reach a web node. A connection that broke at once
	 * (one the client's pool held to the node that has since given the VIP up) is
	 * replaced and the request sent once more, as the stream's client does.
	 */
	private static boolean vipAnswers() {
		HttpRequest request = Http.request(vip, "/actuator/vip-holder").timeout(Duration.ofSeconds(2)).GET().build();
		for (int attempt = 1;; attempt++) {
			try {
				return http.send(request, HttpResponse.BodyHandlers.discarding())
					.headers()
					.firstValue("X-LB-Node")
					.isPresent();
			}
			catch (HttpTimeoutException ex) {
				return false;
			}
			catch (IOException ex) {
				if (attempt == 2) {
					return false;
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
	}

	/**
	 * The hung node's checks time out (2 s each, three in a row); it leaves the rotation
	 * before that, as soon as it has held requests for a second without answering one. A
	 * read or keyed order it held waited for HAProxy's attempt time before another node
	 * answered it; one that was only slow (the other node, alone with the load, on a busy
	 * host) took less and says nothing about where the hung node's requests went.
	 */
	@Test
	@Order(8)
	void aWebNodeHung() {
		Scenario scenario = webNodeFault("web-node-hung", stack::pause, stack::unpause);
		assertThat(scenario.lastHeldForAnAttemptSentAfterFaultMs())
			.as("last read or keyed order held for HAProxy's attempt time (by the hung node), sent after the hang (ms)")
			.isLessThan(LEFT_OUT.toMillis());
	}

	@Test
	@Order(9)
	void aWebNodeCutOffFromTheLoadBalancers() {
		Dropping cut = new Dropping("web");
		webNodeFault("web-node-cut-from-web", cut::apply, cut::heal);
	}

	@Test
	@Order(10)
	void aWebNodeDisconnectedFromTheLoadBalancers() {
		Disconnection cut = new Disconnection("web");
		webNodeFault("web-node-disconnected-from-web", cut::apply, cut::heal);
	}

	@Test
	@Order(11)
	void aWebNodeCutOffFromTheAppTier() {
		Dropping cut = new Dropping("app");
		webNodeFault("web-node-cut-from-app", cut::apply, cut::heal);
	}

	@Test
	@Order(12)
	void anAppNodeHung() {
		appNodeFault("app-node-hung", stack::pause, stack::unpause);
	}

	@Test
	@Order(13)
	void anAppNodeCutOffFromTheDatabase() {
		Dropping cut = new Dropping("data");
		appNodeFault("app-node-cut-from-data", cut::apply, cut::heal);
	}

	@Test
	@Order(14)
	void anAppNodeDisconnectedFromTheDatabase() {
		Disconnection cut = new Disconnection("data");
		appNodeFault("app-node-disconnected-from-data", cut::apply, cut::heal);
	}

	/**
	 * A fault on the first web node; after the heal, both load balancers have it UP
	 * again.
	 */
	private Scenario webNodeFault(String name, Fault fault, Fault heal) {
		String victim = stack.containers("web").get(0);
		Scenario scenario = scenario(name, victim, () -> fault.apply(victim), () -> heal.apply(victim));
		scenario.writeAndAssert();
		rotation.waitUntilLoadBalancersSeeWebServersUp(2);
		return scenario;
	}

	/** A fault on the first app node; after the heal, the web tier routes to it again. */
	private void appNodeFault(String name, Fault fault, Fault heal) {
		String victim = stack.containers("app").get(0);
		scenario(name, victim, () -> fault.apply(victim), () -> heal.apply(victim)).writeAndAssert();
		rotation.waitUntilTheWebTierRoutesTo(stack.inspect(victim, "{{.Config.Hostname}}"));
	}

	/**
	 * Reads move to the primary at the first read that times out on the replica; commits,
	 * which wait for the synchronous standby, go on without it once PostgreSQL has
	 * dropped it ({@code wal_sender_timeout}, 3 s) and Patroni has seen that (its loop, 2
	 * s). A read the client sends again may meet the read pool while it refills (its
	 * first new connection asks the hung member first, 1 s), and HAProxy may then give it
	 * a second attempt (2.2 s).
	 */
	@Test
	@Order(15)
	void theReplicaHung() {
		databaseMemberFault("db-replica-hung", false, FAULT_FOR, LB_ATTEMPT, Duration.ofSeconds(5), stack::pause,
				stack::unpause);
	}

	/** Replication runs on the members' own network: only the reads move. */
	@Test
	@Order(16)
	void theReplicaCutOffFromTheAppTier() {
		Dropping cut = new Dropping("data");
		databaseMemberFault("db-replica-cut-from-data", false, FAULT_FOR, Duration.ZERO, Duration.ZERO, cut::apply,
				cut::heal);
	}

	@Test
	@Order(17)
	void theReplicaDisconnectedFromTheAppTier() {
		Disconnection cut = new Disconnection("data");
		databaseMemberFault("db-replica-disconnected-from-data", false, FAULT_FOR, Duration.ZERO, Duration.ZERO,
				cut::apply, cut::heal);
	}

	/**
	 * A primary that hangs for less than Patroni's leader ttl (20 s) keeps its role: no
	 * order can commit while it hangs (an attempt held when it resumes may still end at
	 * the client's timeout, and the next one meet connections the pool is replacing), and
	 * none is lost or doubled; reads go on on the replica.
	 */
	@Test
	@Order(18)
	void thePrimaryHung() {
		databaseMemberFault("db-primary-hung", true, FAULT_FOR, Duration.ZERO,
				FAULT_FOR.plus(ATTEMPT_TIMEOUT.multipliedBy(2)), (container) -> stack.pause(container),
				(container) -> stack.unpause(container));
	}

	/**
	 * A primary that hangs past Patroni's leader ttl is failed over: its key expires and
	 * the synchronous standby takes it. Resumed, the old primary still sees itself
	 * leading, and must not renew the key the new leader holds (Debian's Patroni 3.0.2
	 * did: the new leader demoted itself, and the old one went on without a synchronous
	 * standby; {@code patroni-guard-leader-key.py} in the db image): it demotes itself
	 * and follows the new leader. Orders wait for the promotion, none is lost or doubled;
	 * reads go on. Whether the resumed leader reads its stale view before the new one is
	 * a race, so the renewal is first tried on its own, where the view is stale by
	 * construction, and so is the renewal that must still go through: a leader's own key
	 * with a new lease, as after a change of ttl
	 * ({@link DatabaseCluster#staleLeaderRenewal}).
	 */
	@Test
	@Order(19)
	void thePrimaryHungPastItsLeaseIsFailedOverAndFollowsTheNewLeader() {
		DatabaseCluster database = new DatabaseCluster(stack);
		JsonNode renewal = database.staleLeaderRenewal(database.waitForLeader(Duration.ofSeconds(30)));
		Results.of("db-stale-leader-renewal").put("renewal", renewal).write();
		assertThat(renewal.get("renewedByTheStaleLeader").asBoolean()).as("the stale leader renewed its key").isFalse();
		assertThat(renewal.get("keyHolderAfter").asString()).as("who holds the key after the stale renewal")
			.isEqualTo("b");
		assertThat(renewal.get("renewedWithANewLease").asBoolean()).as("a leader renewed its own key with a new lease")
			.isTrue();
		assertThat(renewal.get("keyHolderAfterANewLease").asString()).as("who holds the key after that renewal")
			.isEqualTo("b");
		assertThat(renewal.get("keyHasTheNewLease").asBoolean()).as("the key has the new lease").isTrue();
		DatabaseMember member = databaseMemberFault("db-primary-hung-past-its-lease", true, PRIMARY_HUNG_PAST_LEASE_FOR,
				Duration.ZERO, PRIMARY_HUNG_PAST_LEASE_FOR.plusSeconds(5), (container) -> stack.pause(container),
				(container) -> stack.unpause(container));
		assertThat(member.leaderAfter()).as("leader after the hang").isNotEqualTo(member.member());
	}

	/**
	 * The primary cut off from the app tier, but not from its replica and etcd: Patroni
	 * sees a healthy leader, so the member's own watcher hands the role over (a
	 * switchover: nothing committed is lost), and orders go on on the new primary while
	 * the cut lasts; none is lost or doubled, reads go on. Healed, the old primary
	 * follows the new one and the role stays where it is.
	 */
	@Test
	@Order(20)
	void thePrimaryCutOffFromTheAppTierHandsOver() {
		Dropping cut = new Dropping("data");
		primaryCutOffHandsOver("db-primary-cut-from-data", cut::apply, cut::heal);
	}

	/**
	 * As above, with the primary taken off the data network: its watcher finds no route
	 * to the app tier, and no app node in DNS, where a cut link still resolves them.
	 */
	@Test
	@Order(21)
	void thePrimaryDisconnectedFromTheAppTierHandsOver() {
		Disconnection cut = new Disconnection("data");
		primaryCutOffHandsOver("db-primary-disconnected-from-data", cut::apply, cut::heal);
	}

	/**
	 * The primary cut off from the app tier for {@link #PRIMARY_CUT_FOR}: another member
	 * leads after it, and no order waited {@link #PRIMARY_CUT_WRITE_GAP}.
	 */
	private void primaryCutOffHandsOver(String name, Fault fault, Fault heal) {
		DatabaseMember member = databaseMemberFault(name, true, PRIMARY_CUT_FOR, Duration.ZERO, PRIMARY_CUT_WRITE_GAP,
				fault, heal);
		assertThat(member.leaderAfter()).as("leader after the cut").isNotEqualTo(member.member());
		assertThat(member.slowestOrderMs()).as("slowest order, first attempt to acknowledgement (ms)")
			.isLessThan(PRIMARY_CUT_WRITE_GAP.toMillis());
	}

	/**
	 * Both members cut off from the app tier (as when the app tier is down): neither may
	 * lead better than the other, so the leader stays.
	 */
	@Test
	@Order(22)
	void bothMembersCutOffFromTheAppTierKeepTheLeader() {
		DatabaseCluster database = new DatabaseCluster(stack);
		String leader = database.waitForLeader(Duration.ofSeconds(30));
		List<String> members = List.of(database.container("db1"), database.container("db2"));
		Instant since = Instant.now();
		members.forEach((container) -> stack.dropOutgoing(container, "data", true));
		try {
			ComposeStack.sleep(Duration.ofSeconds(6));
		}
		finally {
			members.forEach((container) -> stack.dropOutgoing(container, "data", false));
		}
		List<String> watch = stack.logLines(database.container(leader), since, MEMBER_WATCH);
		String leaderAfter = database.waitForLeader(Duration.ofSeconds(30));
		Results.of("db-both-cut-from-data")
			.put("leaderBefore", leader)
			.put("leaderAfter", leaderAfter)
			.put("leaderWatchLog", watch)
			.write();
		assertThat(leaderAfter).isEqualTo(leader);
		assertThat(watch).anyMatch((line) -> line.contains("staying leader"))
			.noneMatch((line) -> line.contains("switching over"));
	}

	/**
	 * A fault on one database member, the leader or the replica, lasting
	 * {@code faultFor}, during which a read the client sent again may take up to
	 * {@code readsStall} and an order up to {@code writesStall} longer than usual; after
	 * the heal, both members stream again without lag.
	 */
	private DatabaseMember databaseMemberFault(String name, boolean leader, Duration faultFor, Duration readsStall,
			Duration writesStall, Fault fault, Fault heal) {
		DatabaseCluster database = new DatabaseCluster(stack);
		String primary = database.waitForLeader(Duration.ofSeconds(30));
		String member = leader ? primary : other(primary);
		String container = database.container(member);
		Scenario scenario = scenario(name, container, faultFor,
				maxOf(DATABASE_ORDER_RETRY_WINDOW, faultFor.plusSeconds(15)), () -> fault.apply(container),
				() -> heal.apply(container));
		DatabaseMember result = new DatabaseMember(member, database.waitForLeader(Duration.ofSeconds(30)),
				Math.max(scenario.orders().slowestAtFirstAttempt(), scenario.orders().slowestResent()));
		scenario.results()
			.put("member", member)
			.put("leaderAfter", result.leaderAfter())
			.put("slowestOrderMs", result.slowestOrderMs())
			.put("memberWatchLog",
					stack.logLines(container, Instant.now().minus(faultFor).minusSeconds(30), MEMBER_WATCH));
		scenario.writeAndAssert(readsStall, writesStall);
		assertThat(scenario.results().get("webNodesTakenOutAsSilent"))
			.as("web nodes taken out of rotation as silent (they wait on the database, and answer their readiness)")
			.isEqualTo(0L);
		database.waitUntilStreamingWithoutLag(other(result.leaderAfter()), Duration.ofSeconds(60));
		return result;
	}

	private static Duration maxOf(Duration one, Duration other) {
		return (one.compareTo(other) >= 0) ? one : other;
	}

	private static String other(String member) {
		return other(member, "db1", "db2");
	}

	private static String other(String node, String one, String two) {
		return one.equals(node) ? two : one;
	}

	/**
	 * Moves the VIP from the holder to its peer by hanging the holder's HAProxy until the
	 * peer holds it, and waits until the old holder serves again and the new one has held
	 * the VIP long enough for its bonus. Returns the new holder.
	 */
	private static String moveTheVipAwayFrom(String holder) {
		String container = stack.containers(holder).get(0);
		String peer = other(holder, "lb1", "lb2");
		String peerContainer = stack.containers(peer).get(0);
		stack.signal(container, "haproxy", "STOP");
		try {
			await("the VIP moves to " + peer).atMost(Duration.ofSeconds(10))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> rotation.holdsTheVip(peerContainer) && !rotation.holdsTheVip(container));
		}
		finally {
			stack.signal(container, "haproxy", "CONT");
		}
		await(holder + " serves again").atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> rotation.webServersUp(holder) >= 2);
		ComposeStack.sleep(HOLDING_BONUS_AFTER.plusSeconds(1));
		return peer;
	}

	/** What became of the database member a scenario faulted. */
	private record DatabaseMember(String member, String leaderAfter, long slowestOrderMs) {
	}

	/**
	 * A fault on the load balancer that holds the VIP: the VIP must move to the peer
	 * within {@link #VIP_MOVE}, and stay there once the node is healed (no flapping).
	 */
	private void loadBalancerFault(String name, Fault fault, Fault heal) {
		loadBalancerFault(name, fault, heal, false);
	}

	/**
	 * As above; with {@code tieAfterHeal}, the healed node still counts itself master at
	 * the holder's priority, and the VIP ends with the higher address of the two.
	 */
	private void loadBalancerFault(String name, Fault fault, Fault heal, boolean tieAfterHeal) {
		String holder = rotation.vipHolder();
		String container = stack.containers(holder).get(0);
		String peer = other(holder, "lb1", "lb2");
		String peerContainer = stack.containers(peer).get(0);
		String after = (tieAfterHeal && hasTheHigherAddress(holder)) ? holder : peer;
		String afterContainer = stack.containers(after).get(0);
		String otherContainer = after.equals(peer) ? container : peerContainer;
		Instant[] faultedAt = new Instant[1];
		Scenario scenario = scenario(name, container, () -> {
			fault.apply(container);
			faultedAt[0] = Instant.now();
		}, () -> heal.apply(container));
		long movedAfter = becameMaster(peerContainer, faultedAt[0])
			.map((master) -> Duration.between(faultedAt[0], master).toMillis())
			.orElse(-1L);
		scenario.results().put("faulted", holder).put("vipMovedAfterMs", movedAfter).write();
		scenario.assertUnharmed();
		await(holder + " serves again").atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> rotation.webServersUp(holder) >= 2);
		try {
			await("the VIP stays with " + after).atMost(Duration.ofSeconds(6))
				.during(Duration.ofSeconds(2))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(250))
				.failFast("split brain: both nodes hold the VIP",
						() -> rotation.holdsTheVip(container) && rotation.holdsTheVip(peerContainer))
				.until(() -> rotation.holdsTheVip(afterContainer) && !rotation.holdsTheVip(otherContainer));
		}
		finally {
			Results.of(name + "-after-heal")
				.put("vipHolderAfterHeal", rotation.vipHolder())
				.put("healedNodeHoldsVip", rotation.holdsTheVip(container))
				.write();
		}
		assertThat(movedAfter).as("VIP moved to %s after (ms)", peer).isBetween(0L, VIP_MOVE.toMillis());
	}

	/**
	 * When keepalived on the node took the VIP (MASTER) after {@code since}, as it logged
	 * it: read afterwards, so that nothing polls the host during the scenario.
	 */
	private static Optional<Instant> becameMaster(String container, Instant since) {
		return mastersSince(container, since).stream().findFirst();
	}

	/** Every time keepalived on the node took the VIP after {@code since}. */
	private static List<Instant> mastersSince(String container, Instant since) {
		return stampedSince(container, since, MASTER_TRANSITION);
	}

	/**
	 * When the node logged a line the pattern matches (its first group: Docker's time
	 * stamp) after {@code since}.
	 */
	private static List<Instant> stampedSince(String container, Instant since, Pattern pattern) {
		return stack.logLines(container, since.minusSeconds(1), pattern)
			.stream()
			.map(pattern::matcher)
			.filter(Matcher::find)
			.map((matcher) -> Instant.parse(matcher.group(1)))
			.filter((at) -> !at.isBefore(since))
			.toList();
	}

	/**
	 * Whether the load balancer's edge address is the higher of the two (VRRP's
	 * tie-break).
	 */
	private static boolean hasTheHigherAddress(String lb) {
		return lastOctet(stack.edgeAddress(lb)) > lastOctet(stack.edgeAddress(other(lb, "lb1", "lb2")));
	}

	private static int lastOctet(String address) {
		return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
	}

	/**
	 * Runs the stream and the orders, injects the fault after {@link #FAULT_AT} and heals
	 * it {@link #FAULT_FOR} later.
	 */
	private Scenario scenario(String name, String victim, Action fault, Action heal) {
		return scenario(name, victim, FAULT_FOR, Duration.ofSeconds(15), fault, heal);
	}

	private Scenario scenario(String name, String victim, Duration faultFor, Duration ordersRetriedFor, Action fault,
			Action heal) {
		String prefix = "st-gray-" + UUID.randomUUID().toString().substring(0, 8) + "-";
		OrderStream orders = new OrderStream(vip, isbns, prefix, ordersRetriedFor, ATTEMPT_TIMEOUT).start();
		Instant since = Instant.now();
		long[] healedAt = { 0 };
		SteadyLoad.Run run;
		try {
			run = new SteadyLoad(http, reads(), FailoverIT.RATE).retryingAfter(ATTEMPT_TIMEOUT)
				.run(Duration.ofSeconds(16), Duration.ofMinutes(2), FAULT_AT, TAIL, (event) -> {
					event.set(System.nanoTime());
					fault.run();
					ComposeStack.sleep(faultFor.minusNanos(System.nanoTime() - event.get()));
					heal.run();
					healedAt[0] = System.nanoTime();
				});
		}
		finally {
			orders.stopAndJoin();
		}
		Scenario scenario = new Scenario(run, orders, Results.of(name, run, FailoverIT.RATE));
		List<List<Long>> held = scenario.heldReads(HELD);
		List<List<Long>> heldOrders = scenario.heldOrders(HELD);
		orders.check(scenario.results(), new DatabaseCluster(stack), http)
			.put("victim", stack.name(victim))
			.put("faultMs", TimeUnit.NANOSECONDS.toMillis(healedAt[0] - run.eventNanos()))
			.put("readsHeld", held.size())
			.put("lastHeldReadSentAfterFaultMs", lastSent(held))
			.put("lastHeldForAnAttemptSentAfterFaultMs", scenario.lastHeldForAnAttemptSentAfterFaultMs())
			.put("heldReadsSentAfterFaultAndTookMs", held)
			.put("heldOrdersSentAfterFaultAndTookMs", heldOrders);
		Map<String, List<String>> events = FailoverIT.loadBalancerEvents(stack, since);
		scenario.results()
			.put("webNodesTakenOutAsSilent",
					events.values().stream().flatMap(List::stream).filter((line) -> line.contains(TAKEN_OUT)).count())
			.put("loadBalancerEvents", events);
		return scenario;
	}

	/**
	 * When the last of the held requests (held by the faulty node, answered only after a
	 * timeout and a retry) was sent after the fault, or -1 when none was held: it tells
	 * how long the node still received requests.
	 */
	private static long lastSent(List<List<Long>> held) {
		return held.isEmpty() ? -1 : held.getLast().getFirst();
	}

	/** A finished scenario: the stream, the orders and their figures. */
	private record Scenario(SteadyLoad.Run run, OrderStream orders, Results results) {

		/**
		 * Each read sent after the fault that took at least {@code atLeast}, as when it
		 * was sent after the fault and how long it took (ms), in the order they were
		 * sent.
		 */
		List<List<Long>> heldReads(Duration atLeast) {
			return held(this.run.outcomes().stream().map((o) -> new long[] { o.sentNanos(), o.doneNanos() }), atLeast);
		}

		/**
		 * Each keyed order's acknowledged attempt sent after the fault that took at least
		 * {@code atLeast}, as {@link #heldReads}.
		 */
		List<List<Long>> heldOrders(Duration atLeast) {
			return held(this.orders.acksSentBetween(this.run.eventNanos(), Long.MAX_VALUE)
				.stream()
				.map((ack) -> new long[] { ack.sentNanos(), ack.doneNanos() }), atLeast);
		}

		/**
		 * When the last read or keyed order held for HAProxy's attempt time (the only
		 * ones a hung web node can have held) was sent after the fault, or -1 when none
		 * was.
		 */
		long lastHeldForAnAttemptSentAfterFaultMs() {
			return Math.max(lastSent(heldReads(LB_ATTEMPT)), lastSent(heldOrders(LB_ATTEMPT)));
		}

		private List<List<Long>> held(Stream<long[]> sentAndDoneNanos, Duration atLeast) {
			long fault = this.run.eventNanos();
			return sentAndDoneNanos
				.filter((request) -> request[0] >= fault && request[1] - request[0] >= atLeast.toNanos())
				.sorted(Comparator.comparingLong((request) -> request[0]))
				.map((request) -> List.of(TimeUnit.NANOSECONDS.toMillis(request[0] - fault),
						TimeUnit.NANOSECONDS.toMillis(request[1] - request[0])))
				.toList();
		}

		private long slowest(boolean retried) {
			return this.run.outcomes()
				.stream()
				.filter((outcome) -> outcome.retried() == retried)
				.mapToLong((outcome) -> TimeUnit.NANOSECONDS.toMillis(outcome.doneNanos() - outcome.sentNanos()))
				.max()
				.orElse(0);
		}

		void writeAndAssert() {
			writeAndAssert(Duration.ZERO, Duration.ZERO);
		}

		void writeAndAssert(Duration readsStall, Duration writesStall) {
			this.results.write();
			assertUnharmed(readsStall, writesStall);
		}

		void assertUnharmed() {
			assertUnharmed(Duration.ZERO, Duration.ZERO);
		}

		/**
		 * No read failed, every order was acknowledged and stored once, no answer took
		 * {@link #SLOWEST} ({@link #SLOWEST_RETRIED} for a read or an order sent again,
		 * and {@code readsStall} more for such a read, {@code writesStall} more for such
		 * an order).
		 */
		void assertUnharmed(Duration readsStall, Duration writesStall) {
			SteadyLoad.assertSentAsScheduled(this.run);
			FailoverIT.assertNoFailedReads(stack, this.run);
			FailoverIT.assertOrdersStoredOnceAndReadable(this.orders, this.results);
			assertThat(slowest(false)).as("slowest read (ms)").isLessThan(SLOWEST.toMillis());
			assertThat(slowest(true)).as("slowest read the client sent again (ms)")
				.isLessThan(SLOWEST_RETRIED.plus(readsStall).toMillis());
			assertThat(this.orders.slowestAtFirstAttempt()).as("slowest order (ms)").isLessThan(SLOWEST.toMillis());
			assertThat(this.orders.slowestResent()).as("slowest order the client sent again (ms)")
				.isLessThan(SLOWEST_RETRIED.plus(writesStall).toMillis());
		}

	}

	/**
	 * Every packet a container sends on one network dropped, and the heal, which lets
	 * them through again.
	 */
	private record Dropping(String network) {

		void apply(String container) {
			stack.dropOutgoing(container, this.network, true);
		}

		void heal(String container) {
			stack.dropOutgoing(container, this.network, false);
		}

	}

	/**
	 * A container taken off one network, and the heal, which connects it again at the
	 * same address with the same aliases.
	 */
	private static final class Disconnection {

		private final String network;

		private final Map<String, ComposeStack.Attachment> taken = new ConcurrentHashMap<>();

		Disconnection(String network) {
			this.network = network;
		}

		void apply(String container) {
			this.taken.put(container, stack.disconnect(container, this.network));
		}

		void heal(String container) {
			stack.connect(this.taken.remove(container));
		}

	}

	private interface Action {

		void run();

	}

	private interface Fault {

		void apply(String container);

	}

}
