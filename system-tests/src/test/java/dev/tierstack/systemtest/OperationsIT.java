package dev.tierstack.systemtest;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operations plane on a healthy stack: Prometheus scrapes every node of every tier
 * over the operations networks (also after traced requests), sees which load balancer
 * holds the VIP, has the series its alert rules read, and raises no alert that pages;
 * none of it is reachable through the VIP.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(1)
class OperationsIT {

	private static final Duration SCRAPES_SETTLE = Duration.ofSeconds(90);

	private static ComposeStack stack;

	private static HttpClient http;

	private static Prometheus prometheus;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		http = Http.client();
		prometheus = new Prometheus(stack, http);
	}

	@Test
	void prometheusScrapesEveryNodeOfEveryTier() throws InterruptedException {
		Map<String, Integer> expected = new TreeMap<>(
				Map.of("lb", 2, "vip", 2, "web", stack.containers("web").size(), "app", stack.containers("app").size(),
						"postgres", 2, "patroni", 2, "etcd", 3, "prometheus", 1, "zipkin", 1));
		Map<String, Integer> up = Map.of();
		List<String> errors = List.of();
		// Traced requests first: a scrape must still succeed once the nodes have timed
		// them.
		for (int i = 0; i < 5; i++) {
			Http.send(http,
					Http.request(stack.vipUrl(), "/")
						.header("Cache-Control", "no-cache")
						.header("traceparent", Http.sampledTraceparent(Http.newTraceId()))
						.GET()
						.build());
		}
		Instant traced = Instant.now();
		Instant deadline = Instant.now().plus(SCRAPES_SETTLE);
		while (Instant.now().isBefore(deadline)) {
			JsonNode targets = prometheus.api("/api/v1/targets?state=active").path("activeTargets");
			Map<String, Integer> counted = new TreeMap<>();
			List<String> failing = new ArrayList<>();
			for (JsonNode target : targets) {
				String job = target.path("labels").path("job").asString();
				if ("up".equals(target.path("health").asString())
						&& Instant.parse(target.path("lastScrape").asString()).isAfter(traced)) {
					counted.merge(job, 1, Integer::sum);
				}
				else {
					failing.add(job + " " + target.path("scrapeUrl").asString() + ": "
							+ target.path("lastError").asString());
				}
			}
			up = counted;
			errors = failing;
			if (up.equals(expected)) {
				break;
			}
			Thread.sleep(1000);
		}
		Results.of("prometheus-targets").put("up", up).put("expected", expected).put("failing", errors).write();
		assertThat(up).as("targets up by job; failing: " + errors).isEqualTo(expected);
	}

	@Test
	void prometheusSeesTheVipHolderAndTheSeriesTheAlertsRead() throws InterruptedException {
		String holder = new Rotation(stack, http, List.of()).vipHolder();
		int webNodes = stack.containers("web").size();
		Set<String> present = Set.of();
		// Each query with the answer it must give; an empty set: any answer at all.
		Map<String, Set<String>> expected = new LinkedHashMap<>();
		expected.put("tierstack_vip_held == 1", Set.of(holder + "=1"));
		expected.put("sum(tierstack_vip_held)", Set.of("=1"));
		expected.put("count by (instance) (haproxy_server_status{proxy=\"web\",state=\"UP\",server=~\"web-.*\"} == 1)",
				Set.of("lb1=" + webNodes, "lb2=" + webNodes));
		expected.put("sum(haproxy_frontend_http_responses_total{proxy=\"public\"}) > 0", present);
		expected.put("count(http_server_requests_seconds_bucket{job=\"web\"})", present);
		expected.put("count(http_server_requests_seconds_bucket{job=\"app\"})", present);
		expected.put("sum(pg_role_primary)", Set.of("=1"));
		expected.put("count(pg_stat_replication_pg_wal_lsn_diff{state=\"streaming\"})", Set.of("=1"));
		expected.put("sum(patroni_primary)", Set.of("=1"));
		expected.put("sum(etcd_server_is_leader)", Set.of("=1"));
		expected.put("sum(tierstack_member_watch_app_tier_reachable)", Set.of("=2"));
		expected.put("sum(tierstack_member_watch_nofailover)", Set.of("=0"));
		expected.put("count(time() - tierstack_member_watch_last_round_timestamp_seconds < 10)", Set.of("=2"));
		Map<String, Set<String>> answers = new LinkedHashMap<>();
		Instant deadline = Instant.now().plus(SCRAPES_SETTLE);
		do {
			// A request through the VIP, past the load balancer's copy of the page, so
			// that both tiers have timed at least one.
			Http.send(http, Http.request(stack.vipUrl(), "/").header("Cache-Control", "no-cache").GET().build());
			expected.keySet().forEach((query) -> answers.put(query, Set.copyOf(prometheus.query(query))));
			if (expected.entrySet()
				.stream()
				.allMatch((entry) -> matches(answers.get(entry.getKey()), entry.getValue()))) {
				break;
			}
			Thread.sleep(2000);
		}
		while (Instant.now().isBefore(deadline));
		Results.of("prometheus-series").put("answers", answers).put("vipHolder", holder).write();
		expected.forEach((query, answer) -> assertThat(matches(answers.get(query), answer))
			.as(query + " answered " + answers.get(query) + ", expected " + answer)
			.isTrue());
	}

	private static boolean matches(Set<String> answer, Set<String> expected) {
		return expected.isEmpty() ? !answer.isEmpty() : answer.equals(expected);
	}

	@Test
	void aHealthyStackRaisesNoAlertThatPages() throws InterruptedException {
		List<String> paging = List.of();
		Instant deadline = Instant.now().plus(SCRAPES_SETTLE);
		while (Instant.now().isBefore(deadline)) {
			paging = new ArrayList<>();
			for (JsonNode alert : prometheus.api("/api/v1/alerts").path("alerts")) {
				if ("page".equals(alert.path("labels").path("severity").asString())
						&& "firing".equals(alert.path("state").asString())) {
					paging.add(alert.path("labels").toString());
				}
			}
			if (paging.isEmpty()) {
				break;
			}
			Thread.sleep(2000);
		}
		JsonNode rules = prometheus.api("/api/v1/rules?type=alert").path("groups");
		List<String> loaded = new ArrayList<>();
		rules.forEach((group) -> group.path("rules").forEach((rule) -> loaded.add(rule.path("name").asString())));
		Results.of("prometheus-alerts").put("firingPages", paging).put("rules", loaded).write();
		assertThat(loaded).contains("NodeDown", "WebNodeOutOfRotation", "VipMoved", "VipHeldByNone", "VipHeldByBoth",
				"ErrorRatioHigh", "LatencyP99High", "NoDatabasePrimary", "ReplicaNotStreaming", "ReplicaLagging",
				"DatabaseMemberCutOffFromAppTier", "MemberWatchStalled");
		assertThat(paging).as("alerts that page on a healthy stack").isEmpty();
	}

	/**
	 * The watcher that hands the lead away from a primary cut off from the app tier is
	 * started again when it dies, and its rounds show in the metrics again.
	 */
	@Test
	void aMemberWatchThatDiesIsStartedAgain() throws InterruptedException {
		String member = stack.containers("db1").get(0);
		String before = memberWatchPid(member);
		assertThat(before).as("member-watch.py runs in db1").isNotEmpty();
		stack.exec(member, "bash", "-c", "kill -KILL " + before).orThrow();
		long killed = System.nanoTime();
		long killedAtMs = System.currentTimeMillis();
		String after = "";
		while (System.nanoTime() - killed < Duration.ofSeconds(10).toNanos()) {
			after = memberWatchPid(member);
			if (!after.isEmpty() && !after.equals(before)) {
				break;
			}
			Thread.sleep(100);
		}
		long restartedMs = Duration.ofNanos(System.nanoTime() - killed).toMillis();
		// A round of the new watcher: the metrics file is rewritten after it.
		double lastRound = 0;
		while (System.nanoTime() - killed < Duration.ofSeconds(15).toNanos()) {
			lastRound = stack.exec(member, "cat", "/tmp/member-watch.prom")
				.out()
				.lines()
				.filter((line) -> line.startsWith("tierstack_member_watch_last_round_timestamp_seconds "))
				.mapToDouble((line) -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
				.findFirst()
				.orElse(0);
			if (lastRound * 1000 > killedAtMs) {
				break;
			}
			Thread.sleep(250);
		}
		Results.of("member-watch-restart")
			.put("pidBefore", before)
			.put("pidAfter", after)
			.put("startedAgainWithinMs", restartedMs)
			.put("firstRoundAfterKillMs", (long) (lastRound * 1000) - killedAtMs)
			.write();
		assertThat(after).as("a new member-watch.py").isNotEmpty().isNotEqualTo(before);
		assertThat(restartedMs).as("started again after (ms)").isLessThan(5000);
		assertThat(stack.logs("db1")).contains("member-watch.py exited with status");
		assertThat(lastRound * 1000).as("a round after the restart").isGreaterThan(killedAtMs);
	}

	/** The pid, in the member's own namespace, of its member-watch.py ("" if none). */
	private static String memberWatchPid(String container) {
		return stack.exec(container, "python3", "-c", """
				import os
				for pid in filter(str.isdigit, os.listdir('/proc')):
				    try:
				        argv = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\\0')
				    except OSError:
				        continue
				    if argv[1:2] == [b'/usr/local/bin/member-watch.py']:
				        print(pid)
				""").orThrow().trimmed();
	}

	@Test
	void noMetricsEndpointIsReachableThroughTheVip() {
		for (int port : List.of(8404, 9080, 9081, 9090, 9187, 9547, 2381)) {
			assertThat(canConnect(stack.vip(), port)).as("VIP:" + port).isFalse();
		}
		for (String path : List.of("/actuator/prometheus", "/api/actuator/prometheus", "/metrics", "/vip/metrics",
				"/readyz", "/livez")) {
			assertThat(Http.get(http, stack.vipUrl(), path).statusCode()).as(path).isEqualTo(404);
		}
	}

	private static boolean canConnect(String host, int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), 2000);
			return true;
		}
		catch (java.io.IOException ex) {
			return false;
		}
	}

}
