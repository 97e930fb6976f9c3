package dev.tierstack.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import javax.net.ssl.SSLSocketFactory;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that mean harm or do not know better, through the VIP: bodies too large, bodies
 * and headers sent a few bytes at a time, a burst over the rate limit on one load
 * balancer and then on the other. The attackers run in a container of their own on the
 * edge network: another client address than the well-behaved reads sent from the host
 * meanwhile.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileClientsIT {

	/** Slow uploads and slow headers, each: the web tier has 2 × 32 request slots. */
	private static final int SLOW_CLIENTS = 64;

	private static final int READ_RATE = 30;

	private static final double QUARTER_SECOND_MS = 250;

	/**
	 * How long the reads are measured, before the attack and while it holds its
	 * connections (they are cut off after 5 s).
	 */
	private static final Duration READS = Duration.ofSeconds(4);

	private static ComposeStack stack;

	private static HttpClient http;

	private static List<String> isbns;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		http = Http.client();
		isbns = Http.isbnsInStock(http, stack.vipUrl(), 20);
	}

	@Test
	@Order(1)
	void aBodyOverTheLimitIsRefusedByTheLoadBalancerInTheFormatOfItsPath() {
		String tooLarge = "{\"lines\":[],\"padding\":\"" + "a".repeat(9000) + "\"}";
		HttpResponse<String> api = Http.send(http,
				Http.request(stack.vipUrl(), "/api/orders")
					.header("Content-Type", "application/json")
					.header("Idempotency-Key", "too-large-body")
					.POST(BodyPublishers.ofString(tooLarge))
					.build());
		assertThat(api.statusCode()).isEqualTo(413);
		assertThat(api.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(api.body()).contains("urn:tierstack:problem:payload-too-large");
		assertThat(api.headers().firstValue("X-Web-Node")).as("answered by the load balancer").isEmpty();

		HttpResponse<String> form = Http.send(http,
				Http.request(stack.vipUrl(), "/orders")
					.header("Content-Type", "application/x-www-form-urlencoded")
					.POST(BodyPublishers.ofString("isbn=9781900000017&quantity=1&x=" + "a".repeat(9000)))
					.build());
		assertThat(form.statusCode()).isEqualTo(413);
		assertThat(form.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("text/html"));
		assertThat(form.headers().firstValue("X-Web-Node")).isEmpty();
	}

	/**
	 * 64 uploads (HTTPS) that send an order's headers and most of its body, then a byte a
	 * second, and 64 requests whose headers come a line a second, all at once: each is
	 * cut off by the load balancer after {@code timeout http-request} (5 s) without
	 * having reached a web node, and meanwhile the reads of another client are as fast as
	 * before. The attackers are sockets in this JVM (virtual threads): 128 processes in a
	 * container took a core of this 2-core host, which would measure the host, not the
	 * stack.
	 */
	@Test
	@Order(2)
	void slowUploadsAndSlowHeadersHoldNoWebNodeAndSlowNoOneElse() throws Exception {
		// A baseline from a settled stack: one still warming up would excuse any
		// slowdown.
		SteadyLoad.untilSteady(http, SteadyLoad.catalogReads(stack.vipUrl(), isbns), READ_RATE,
				"steady-before-slow-clients");
		SteadyLoad.Run before = new SteadyLoad(http, SteadyLoad.catalogReads(stack.vipUrl(), isbns), READ_RATE)
			.run(READS, READS.multipliedBy(3), Duration.ZERO, Duration.ZERO, null);
		SSLSocketFactory tls = Http.trustingTheLocalCa().getSocketFactory();
		List<Future<String>> attackers = new ArrayList<>();
		try (ExecutorService attack = Executors.newVirtualThreadPerTaskExecutor()) {
			for (int i = 0; i < SLOW_CLIENTS; i++) {
				// The attack: most of a 16 KB body, then the rest a byte a
				// second.
				attackers.add(attack.submit(() -> "large upload " + slowly(tls.createSocket(stack.vip(), 443),
						orderHead(16_000) + "a".repeat(15_000), (n) -> "a")));
				// A body within the limit, sent the same way.
				attackers.add(attack.submit(() -> "upload " + slowly(tls.createSocket(stack.vip(), 443),
						orderHead(7_000) + "a".repeat(6_000), (n) -> "a")));
				attackers.add(attack.submit(() -> "headers " + slowly(new Socket(stack.vip(), 80),
						"GET / HTTP/1.1\r\nHost: " + stack.vip() + "\r\n", (n) -> "X-Slow-" + n + ": x\r\n")));
			}
			// From when the attackers hold their connections.
			ComposeStack.sleep(Duration.ofSeconds(1));
			SteadyLoad.Run during = new SteadyLoad(http, SteadyLoad.catalogReads(stack.vipUrl(), isbns), READ_RATE)
				.run(READS, READS.multipliedBy(3), Duration.ZERO, Duration.ZERO, null);
			Map<String, Long> outcomes = new TreeMap<>();
			for (Future<String> attacker : attackers) {
				outcomes.merge(attacker.get(60, TimeUnit.SECONDS), 1L, Long::sum);
			}
			Results readsBefore = Results.of("reads-before", before, READ_RATE);
			Results readsDuring = Results.of("reads-during", during, READ_RATE);
			double p99Before = (double) readsBefore.get("latencyP99Ms");
			double p99During = (double) readsDuring.get("latencyP99Ms");
			double p90Before = (double) readsBefore.get("latencyP90Ms");
			double p90During = (double) readsDuring.get("latencyP90Ms");
			Results.of("hostile-slow-clients")
				.put("attackerOutcomes", outcomes)
				.put("readsBefore", before.failures().size() + "/" + before.outcomes().size())
				.put("readsDuring", during.failures().size() + "/" + during.outcomes().size())
				.put("readP99BeforeMs", p99Before)
				.put("readP99DuringMs", p99During)
				.put("readP90BeforeMs", p90Before)
				.put("readP90DuringMs", p90During)
				.write();
			assertThat(outcomes).as("every slow client cut off by the load balancer, none by a web node")
				.containsOnlyKeys("large upload 413 by lb", "upload 408 by lb", "headers 408 by lb");
			assertThat(before.failures()).as("reads failed before the attack").isEmpty();
			assertThat(during.failures()).as("reads failed during the attack").isEmpty();
			// The p90, not the p99: of 120 reads the p99 is the second slowest,
			// which one pause decides (a GC, or this JVM's own 128 TLS handshakes
			// for the attackers on the same two cores); the p99 is recorded. At
			// most twice the p90 before, or a quarter of a second if that is more:
			// a p90 of 30-50 ms doubles from noise alone on two shared cores, while
			// the attack this guards against made every page wait 5 s for a 503.
			assertThat(p90During).as("read p90 during the attack (ms)")
				.isLessThanOrEqualTo(Math.max(2 * p90Before, QUARTER_SECOND_MS));
		}
	}

	private static String orderHead(int contentLength) {
		return "POST /api/orders HTTP/1.1\r\nHost: " + stack.vip() + "\r\nContent-Type: application/json\r\n"
				+ "Idempotency-Key: slow-" + contentLength + "\r\nContent-Length: " + contentLength + "\r\n\r\n";
	}

	/**
	 * Sends {@code head}, then {@code drip(n)} once a second, until the load balancer
	 * answers.
	 * @return the status it answered with and whether a web node took part ("408 by lb")
	 */
	private static String slowly(Socket socket, String head, IntFunction<String> drip) {
		try (socket) {
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			out.write(head.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			Thread writer = Thread.ofVirtual().start(() -> {
				try {
					for (int n = 1; n <= 30; n++) {
						Thread.sleep(1000);
						out.write(drip.apply(n).getBytes(StandardCharsets.US_ASCII));
						out.flush();
					}
				}
				catch (IOException | InterruptedException ex) {
					// Answered and closed, or done.
				}
			});
			BufferedReader in = new BufferedReader(
					new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
			String status = in.readLine();
			boolean byWebNode = false;
			for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
				byWebNode |= line.toLowerCase(Locale.ROOT).startsWith("x-web-node:");
			}
			writer.interrupt();
			return (status != null) ? status.split(" ")[1] + (byWebNode ? " by a web node" : " by lb") : "closed";
		}
		catch (IOException ex) {
			return ex.getClass().getSimpleName();
		}
	}

	/**
	 * The two load balancers share their per-client request counts (HAProxy's
	 * {@code peers}): a client over the limit on one is over it on the other, so a VIP
	 * move gives it no fresh allowance.
	 */
	@Test
	@Order(3)
	void aClientOverTheLimitOnOneLoadBalancerIsOverItOnTheOther() {
		String lb1 = "https://" + stack.edgeAddress("lb1");
		String lb2 = "https://" + stack.edgeAddress("lb2");
		List<Integer> burst = Collections.synchronizedList(new ArrayList<>());
		List<Integer> onTheOther = new ArrayList<>();
		try (ExecutorService clients = Executors.newFixedThreadPool(50)) {
			for (int i = 0; i < 1500; i++) {
				clients.submit(() -> burst.add(Http.get(http, lb1, "/actuator/rate-limit-probe").statusCode()));
			}
			// While the burst goes on at lb1, well over the limit: lb2 has the count too.
			await("burst under way").atMost(Duration.ofSeconds(20)).until(() -> burst.size() >= 500);
			for (int i = 0; i < 10; i++) {
				onTheOther.add(Http.get(http, lb2, "/actuator/rate-limit-probe").statusCode());
			}
		}
		// The next test starts with no count against this client, on either node.
		Http.awaitNotRateLimited(http, lb1, lb2);
		Results.of("rate-limit-shared").put("burstOnLb1", counts(burst)).put("thenOnLb2", counts(onTheOther)).write();
		assertThat(burst).contains(429);
		assertThat(onTheOther).as("lb2 knows the count lb1 made").contains(429);
	}

	private static Map<Integer, Long> counts(List<Integer> statuses) {
		synchronized (statuses) {
			return statuses.stream()
				.collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
		}
	}

}
