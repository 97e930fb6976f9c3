package dev.tierstack.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

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
 * balancer and then on the other, more connections than one address may hold, and one
 * client using its whole allowance while another reads. Where two clients must be told
 * apart, the second runs in a container on the edge network, at an address of its own.
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

	/**
	 * Between one attacker of each kind and the next: 64 uploads in about two seconds.
	 */
	private static final Duration ATTACKER_SPACING = Duration.ofMillis(30);

	private static final int CONNECTIONS_PAST_THE_LIMIT = 20;

	/** At most this many connections this JVM's client may still hold to the VIP. */
	private static final int POOLED_CONNECTIONS = 16;

	/** The other client's rate when a heavy one sends at ten times it: its share. */
	private static final int SHARE = 20;

	/**
	 * The heavy client's serial curl processes. Each waits for its answer before the next
	 * request, so together they send at most this many requests per answer time: asked
	 * for ten times the share (200/s), 32 sent 162-165/s, over the limit of the stack
	 * under test (150/s). With 8, answers slower than 53 ms held a heavy client under it,
	 * where it was served and loaded the stack instead of being refused. Their starts are
	 * spread over one request's interval, so that together they send evenly.
	 */
	private static final int HEAVY_CLIENT_WORKERS = 32;

	/**
	 * The heavy client's rate within the limit: 80 % of the shipped limit at most, also
	 * when the stack under test allows more ({@link ComposeStack#RATE_LIMIT_PER_SEC}), so
	 * that the other client meets the load a client just within the shipped limit makes.
	 */
	private static final int WITHIN_THE_LIMIT = 80;

	/** How long the heavy client runs before the other's reads are measured. */
	private static final Duration HEAVY_CLIENT_LEAD = Duration.ofSeconds(3);

	/**
	 * The same for the heavy client over the limit. Until its ten-second average is over
	 * the limit too, the one-second count lets through what it sends while its own slow
	 * answers hold it back: at 200/s, some 700 pages in its first 5 s here, more than the
	 * stack serves in that time on two cores, a backlog that takes seconds more. Measured
	 * from 3 s and 8 s on, the other's reads met that backlog (p99 6.4 and 3.5 times what
	 * it was alone). After it the heavy client is refused.
	 */
	private static final Duration HEAVY_CLIENT_OVER_THE_LIMIT_LEAD = Duration.ofSeconds(15);

	/**
	 * Over the limit, the heavy client abandons an answer that takes longer than this, as
	 * a flood does not wait for its answers: so it keeps sending at ten times the share.
	 * A worker that waited for each answer sent less on a slow stack, under the limit,
	 * and was served (2,942 of 7,292 requests, with the other's p99 8.8 times its
	 * baseline).
	 */
	private static final Duration HEAVY_CLIENT_GIVES_UP_AFTER = Duration.ofMillis(150);

	/**
	 * How long the other client's reads are measured, alone and beside the heavy one: 600
	 * reads, so that their p99 is the seventh slowest. Of 400 (the fifth slowest), it was
	 * 40 and 130 ms in two windows of one run, for reasons that run did not show.
	 */
	private static final Duration FAIR_SHARE_READS = Duration.ofSeconds(30);

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
	 * before. The attackers are sockets in this JVM (virtual threads) bound to a second
	 * address of the host, so that the load balancers count them as another client than
	 * the reads: 128 processes in a container took a core of this 2-core host, which
	 * would measure the host, not the stack.
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
		// The attackers are another client than the reads: their requests are not counted
		// against the reads' address.
		InetAddress from = stack.addSecondHostAddress();
		try (ExecutorService attack = Executors.newVirtualThreadPerTaskExecutor()) {
			for (int i = 0; i < SLOW_CLIENTS; i++) {
				// Started over two seconds: under the rate limit, so that each is cut off
				// for being slow, not for being one too many.
				ComposeStack.sleep(ATTACKER_SPACING);
				// The attack: most of a 16 KB body, then the rest a byte a
				// second.
				attackers.add(attack.submit(() -> "large upload " + slowly(tls.createSocket(stack.vip(), 443, from, 0),
						orderHead(16_000) + "a".repeat(15_000), (n) -> "a")));
				// A body within the limit, sent the same way.
				attackers.add(attack.submit(() -> "upload " + slowly(tls.createSocket(stack.vip(), 443, from, 0),
						orderHead(7_000) + "a".repeat(6_000), (n) -> "a")));
				attackers.add(attack.submit(() -> "headers " + slowly(new Socket(stack.vip(), 80, from, 0),
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
		finally {
			stack.removeSecondHostAddress();
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

	/**
	 * One address holds at most {@code CONN_LIMIT_PER_CLIENT} of a load balancer's
	 * connections. This JVM opens that many and a few more (plain TCP, nothing sent): the
	 * ones past the limit are closed at once, the others stay open, and meanwhile a
	 * client at another address is served. Once they are closed, this address is served
	 * again.
	 */
	@Test
	@Order(4)
	void aClientPastItsConnectionLimitIsRefusedWhileOthersAreServed() throws Exception {
		int limit = Integer.parseInt(stack.setting(stack.containers("lb1").get(0), "CONN_LIMIT_PER_CLIENT"));
		List<Socket> sockets = new ArrayList<>();
		List<Integer> closedAt = new ArrayList<>();
		int otherClient;
		boolean earliestStillOpen;
		long openedInMs;
		long checkedInMs;
		int heldMeanwhile;
		// This JVM's connections from the scenarios before count against this address too
		// (the burst's, up to 50, which the load balancer keeps alive for 5 s): closed
		// first, with the client that holds them; then the load balancers must count none
		// of this address.
		http.close();
		http = Http.client();
		List<Integer> heldBefore = new ArrayList<>();
		await().atMost(Duration.ofSeconds(15))
			.pollInSameThread()
			.pollInterval(Duration.ofMillis(250))
			.until(() -> connectionsOfThisAddress(heldBefore), (held) -> held == 0);
		InetAddress otherAddress = stack.addSecondHostAddress();
		try (HttpClient other = Http.builder()
			.version(HttpClient.Version.HTTP_1_1)
			.localAddress(otherAddress)
			.build()) {
			// Once more just before, recorded with the polls.
			connectionsOfThisAddress(heldBefore);
			long start = System.nanoTime();
			for (int i = 0; i < limit + CONNECTIONS_PAST_THE_LIMIT; i++) {
				Socket socket = new Socket();
				sockets.add(socket);
				try {
					socket.connect(new InetSocketAddress(stack.vip(), 80), 2000);
				}
				catch (SocketException ex) {
					// Reset by the load balancer before the connect had returned: refused
					// at once, and counted so below (an unconnected socket reads as
					// closed).
				}
			}
			openedInMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			// All within the 5 s a silent connection may stay open.
			ComposeStack.sleep(Duration.ofMillis(300));
			for (int i = 0; i < sockets.size(); i++) {
				if (closedByPeer(sockets.get(i))) {
					closedAt.add(i);
				}
			}
			checkedInMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			otherClient = Http.get(other, stack.vipUrl(), "/api/books?size=1").statusCode();
			earliestStillOpen = !closedByPeer(sockets.get(0));
			// Last, as it takes a few hundred milliseconds.
			heldMeanwhile = connectionsOfThisAddress(new ArrayList<>());
		}
		finally {
			stack.removeSecondHostAddress();
			for (Socket socket : sockets) {
				socket.close();
			}
		}
		int servedAfter = Http.get(http, stack.vipUrl(), "/api/books?size=1").statusCode();
		Results.of("connection-limit")
			.put("limit", limit)
			.put("opened", sockets.size())
			.put("closedAtOnce", closedAt.size())
			.put("closedAt", closedAt)
			.put("openedInMs", openedInMs)
			.put("checkedInMs", checkedInMs)
			.put("heldByTheLoadBalancersMeanwhile", heldMeanwhile)
			.put("otherClientMeanwhile", otherClient)
			.put("earliestStillOpenMeanwhile", earliestStillOpen)
			.put("thisClientAfter", servedAfter)
			.put("heldBeforeByPoll", heldBefore)
			.write();
		// HAProxy counts a connection on the thread it hands it to, the two taking turns,
		// and one thread may be a few connections behind the other: then the ones past
		// the limit in its count are not the last ones opened here (every other one
		// refused from the 981st on in one run, the 997th in another, with none of this
		// address counted just before). So the count is checked, not where the refused
		// ones fall: as many refused as were opened past the limit (or a few more),
		// never more than the limit counted, and the earliest connection kept.
		assertThat(closedAt).as("connections closed at once")
			.hasSizeBetween(CONNECTIONS_PAST_THE_LIMIT, CONNECTIONS_PAST_THE_LIMIT + POOLED_CONNECTIONS);
		assertThat(heldMeanwhile).as("connections the load balancers counted for this address meanwhile")
			.isLessThanOrEqualTo(limit);
		assertThat(earliestStillOpen).as("this address's first connection, still held after the other was served")
			.isTrue();
		assertThat(otherClient).as("another address, served meanwhile").isEqualTo(200);
		assertThat(servedAfter).as("this address, served once its connections closed").isEqualTo(200);
	}

	/**
	 * The connections the load balancers count for this host's address on the edge
	 * network (their table {@code per_client_conns}, read over each one's admin socket),
	 * also added to {@code polls}.
	 */
	private static int connectionsOfThisAddress(List<Integer> polls) {
		Pattern entry = Pattern
			.compile("key=(::ffff:)?" + Pattern.quote(stack.hostAddress("edge")) + " .*conn_cur=(\\d+)");
		int held = 0;
		for (String lb : List.of("lb1", "lb2")) {
			for (String container : stack.containers(lb)) {
				List<String> table = stack.haproxyAdmin(container, "show table per_client_conns");
				for (String line : table) {
					Matcher matcher = entry.matcher(line);
					if (matcher.find()) {
						held += Integer.parseInt(matcher.group(2));
					}
				}
			}
		}
		polls.add(held);
		return held;
	}

	/**
	 * Whether the load balancer closed the connection: end of stream (or a reset) within
	 * a millisecond, where an open one has nothing to read.
	 */
	private static boolean closedByPeer(Socket socket) {
		try {
			socket.setSoTimeout(1);
			return socket.getInputStream().read() == -1;
		}
		catch (SocketTimeoutException ex) {
			return false;
		}
		catch (IOException ex) {
			return true;
		}
	}

	/**
	 * One client sends the read mix at 80 % of the per-client limit
	 * ({@code RATE_LIMIT_PER_SEC}, at most {@link #WITHIN_THE_LIMIT}), then at ten times
	 * another's rate, while the other reads at its share. At ten times, the heavy client
	 * is over the limit and, after the burst the limit lets through, refused (429), and
	 * the other's p99, measured from {@link #HEAVY_CLIENT_OVER_THE_LIMIT_LEAD} on, stays
	 * within twice what it was alone. Within the limit, the heavy client is served, and
	 * what that costs the other is recorded: the limit decides how much of the stack one
	 * address can take. The heavy client is curl in a container at an address of its own,
	 * held to half a core; the other is this JVM. Its baseline is measured alone before
	 * and after, and the higher p99 kept: on two shared cores one window's p99 varies by
	 * half from the next.
	 */
	@Test
	@Order(5)
	void aClientAtTenTimesItsShareLeavesAnotherItsLatency() {
		int limit = Integer.parseInt(stack.setting(stack.containers("lb1").get(0), "RATE_LIMIT_PER_SEC"));
		var reads = SteadyLoad.catalogReads(stack.vipUrl(), isbns);
		SteadyLoad.untilSteady(http, reads, SHARE, "steady-before-heavy-client");
		SteadyLoad.Run aloneBefore = new SteadyLoad(http, reads, SHARE).run(FAIR_SHARE_READS,
				FAIR_SHARE_READS.plusSeconds(5), Duration.ZERO, Duration.ZERO, null);
		// Within the limit first: after ten times, the heavy client's ten-second average
		// would refuse it for a while. Each time after its last requests have left its
		// one-second count.
		Beside withinTheLimit = besideAHeavyClient(reads, Math.min(limit * 8 / 10, WITHIN_THE_LIMIT), HEAVY_CLIENT_LEAD,
				null);
		ComposeStack.sleep(Duration.ofSeconds(2));
		Beside tenTimes = besideAHeavyClient(reads, 10 * SHARE, HEAVY_CLIENT_OVER_THE_LIMIT_LEAD,
				HEAVY_CLIENT_GIVES_UP_AFTER);
		ComposeStack.sleep(Duration.ofSeconds(2));
		SteadyLoad.Run aloneAfter = new SteadyLoad(http, reads, SHARE).run(FAIR_SHARE_READS,
				FAIR_SHARE_READS.plusSeconds(5), Duration.ZERO, Duration.ZERO, null);
		double p99Alone = Math.max(p99(aloneBefore), p99(aloneAfter));
		Results.of("fair-share")
			.put("rateLimitPerSec", limit)
			.put("otherClientRate", SHARE)
			.put("otherReadsAlone",
					aloneBefore.failures().size() + "/" + aloneBefore.outcomes().size() + ", "
							+ aloneAfter.failures().size() + "/" + aloneAfter.outcomes().size())
			.put("otherP99AloneBeforeMs", p99(aloneBefore))
			.put("otherP99AloneAfterMs", p99(aloneAfter))
			.put("otherSlowestAloneBefore", slowest(aloneBefore))
			.put("otherSlowestAloneAfter", slowest(aloneAfter))
			.put("tenTimes", tenTimes.results(p99Alone))
			.put("withinTheLimit", withinTheLimit.results(p99Alone))
			.write();
		assertThat(aloneBefore.failures()).as("reads failed alone, before").isEmpty();
		assertThat(aloneAfter.failures()).as("reads failed alone, after").isEmpty();
		assertThat(tenTimes.answers()).as("the heavy client at ten times: refused").containsKey("429");
		assertThat(tenTimes.other().failures()).as("reads failed beside ten times").isEmpty();
		assertThat(p99(tenTimes.other())).as("the other client's p99 beside ten times its rate (ms)")
			.isLessThanOrEqualTo(2 * p99Alone);
		assertThat(withinTheLimit.answers()).as("the heavy client within the limit: served").containsOnlyKeys("200");
		assertThat(withinTheLimit.other().failures()).as("reads failed beside the heavy client").isEmpty();
	}

	/**
	 * Runs the heavy client at {@code rate}, each of its requests abandoned after
	 * {@code givesUpAfter} (if not null), and, from {@code lead} on, the other client's
	 * reads at {@link #SHARE}.
	 */
	private static Beside besideAHeavyClient(LongFunction<HttpRequest> reads, int rate, Duration lead,
			Duration givesUpAfter) {
		// curl's --rate takes whole requests per minute.
		int perWorkerPerMinute = Math.max(1, rate * 60 / HEAVY_CLIENT_WORKERS);
		int heavyRate = perWorkerPerMinute * HEAVY_CLIENT_WORKERS / 60;
		long heavySeconds = lead.plus(FAIR_SHARE_READS).toSeconds() + 2;
		// The same mix from the other address, one URL a line, dealt to the workers in
		// turn; each sends its part serially at a fixed rate on one connection.
		String urls = LongStream.range(0, (long) perWorkerPerMinute * HEAVY_CLIENT_WORKERS * heavySeconds / 60)
			.mapToObj((i) -> "url = \"" + reads.apply(i).uri() + "\"")
			.collect(Collectors.joining("\n", "", "\n"));
		// Worker w starts (w - 1) / HEAVY_CLIENT_WORKERS of a request's interval late.
		String spacing = String.format(Locale.ROOT, "%.4f", 60.0 / perWorkerPerMinute / HEAVY_CLIENT_WORKERS);
		String script = "cat > /tmp/input; for w in $(seq 1 " + HEAVY_CLIENT_WORKERS + "); do sed -n \"${w}~"
				+ HEAVY_CLIENT_WORKERS + "p\" /tmp/input > /tmp/urls.$w; (sleep $(awk \"BEGIN { print ($w - 1) * "
				+ spacing + " }\"); timeout " + (heavySeconds + 10) + " curl -sk --rate " + perWorkerPerMinute
				+ "/m -H 'Cache-Control: no-cache' -K /tmp/urls.$w"
				+ ((givesUpAfter != null)
						? " -m " + String.format(Locale.ROOT, "%.3f", givesUpAfter.toMillis() / 1000.0) : "")
				+ " -w '%{stderr}%{http_code}\\n' > /dev/null 2> /tmp/codes.$w) & done; wait;"
				+ " cat /tmp/codes.* | sort | uniq -c";
		// Not the common pool: on two cores it has one thread, which the stream's
		// callbacks need.
		try (ExecutorService runner = Executors.newVirtualThreadPerTaskExecutor()) {
			Future<Proc.Result> heavy = runner
				.submit(() -> stack.runOtherClient(Duration.ofSeconds(heavySeconds + 30), 0.5, script, urls));
			ComposeStack.sleep(lead);
			SteadyLoad.Run other = new SteadyLoad(http, reads, SHARE).run(FAIR_SHARE_READS,
					FAIR_SHARE_READS.plusSeconds(5), Duration.ZERO, Duration.ZERO, null);
			Map<String, Long> answers = new TreeMap<>();
			for (String line : heavy.get(heavySeconds + 60, TimeUnit.SECONDS).orThrow().lines()) {
				String[] countAndStatus = line.split("\\s+");
				answers.put(countAndStatus[1], Long.parseLong(countAndStatus[0]));
			}
			return new Beside(heavyRate, answers, other);
		}
		catch (InterruptedException | ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("the heavy client at " + heavyRate + "/s", ex);
		}
	}

	private static double p99(SteadyLoad.Run run) {
		return (double) Results.of("reads", run, SHARE).get("latencyP99Ms");
	}

	/**
	 * The ten slowest reads of a run, slowest first, each as "latency ms @ second of the
	 * run it was sent in": whether the p99 was one stall or spread over the run.
	 */
	private static List<String> slowest(SteadyLoad.Run run) {
		return run.outcomes()
			.stream()
			.sorted(Comparator.comparingLong(SteadyLoad.Outcome::latencyNanos).reversed())
			.limit(10)
			.map((o) -> TimeUnit.NANOSECONDS.toMillis(o.latencyNanos()) + " ms @ "
					+ TimeUnit.NANOSECONDS.toSeconds(o.sentNanos() - run.startNanos()) + " s")
			.toList();
	}

	/** The heavy client's rate and answers, and the other client's reads meanwhile. */
	private record Beside(int heavyRate, Map<String, Long> answers, SteadyLoad.Run other) {

		Map<String, Object> results(double otherP99AloneMs) {
			double p99 = p99(this.other);
			return Map.of("heavyClientRate", this.heavyRate, "heavyClientAnswers", this.answers, "otherReads",
					this.other.failures().size() + "/" + this.other.outcomes().size(), "otherP99Ms", p99,
					"otherP99RatioToAlone", Math.round(100 * p99 / otherP99AloneMs) / 100.0, "otherSlowest",
					slowest(this.other));
		}

	}

}
