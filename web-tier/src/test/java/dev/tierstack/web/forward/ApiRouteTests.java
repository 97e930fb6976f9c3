package dev.tierstack.web.forward;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpExchange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code /api} route and the balancer under it, against real HTTP servers (timeouts
 * and pause as {@link WebTierOverStandIns} sets them). Tests that stop stand-ins run
 * last: a stopped and restarted stand-in leaves stale pooled connections behind, which
 * only safe requests may retry past. Tests after which an instance is left out wait out
 * its pause.
 */
@WebTierOverStandIns
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiRouteTests extends StandIns {

	private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(500);

	private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1500);

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);

	private static final Duration PAUSE = Duration.ofSeconds(1);

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	@LocalServerPort
	private int port;

	@BeforeEach
	void resetAppTier() {
		resetStandIns();
	}

	@Test
	@Order(1)
	void spreadsRequestsRoundRobinOverReadyInstancesOnly() throws Exception {
		for (int i = 0; i < 10; i++) {
			assertThat(send(get("/api/books")).statusCode()).isEqualTo(200);
		}
		assertThat(a.received()).hasSize(5);
		assertThat(b.received()).hasSize(5);
		assertThat(c.received()).as("not ready, never chosen").isEmpty();
	}

	@Test
	@Order(2)
	void forwardsRequestAndAnswerUnchanged() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> {
			exchange.getResponseHeaders().set("Location", "/api/orders/42");
			exchange.getResponseHeaders().set("Idempotency-Replayed", "true");
			exchange.getResponseHeaders().set("X-Request-Id", exchange.getRequestHeaders().getFirst("X-Request-Id"));
			exchange.getResponseHeaders().set("Set-Cookie", "internal=1");
			self.json(exchange, 201, "{\"id\":42}");
		}));
		String body = "{\"lines\":[{\"isbn\":\"9780000000001\",\"quantity\":2}]}";
		HttpResponse<String> response = send(
				request("/api/orders?note=a%20b&x=%2F").header("Content-Type", "application/json")
					.header("Accept", "application/json")
					.header("Idempotency-Key", "key-1")
					.header("X-Request-Id", "req-123")
					.header("X-Forwarded-For", "203.0.113.7")
					.header("X-Forwarded-Proto", "https")
					.POST(BodyPublishers.ofString(body)));

		assertThat(response.statusCode()).as("no CSRF token on /api").isEqualTo(201);
		assertThat(response.body()).isEqualTo("{\"id\":42}");
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
		assertThat(response.headers().firstValue("Location")).hasValue("/api/orders/42");
		assertThat(response.headers().firstValue("Idempotency-Replayed")).hasValue("true");
		assertThat(response.headers().firstValue("X-Request-Id")).hasValue("req-123");
		assertThat(response.headers().firstValue("X-Web-Node")).hasValue("web-test");
		assertThat(response.headers().firstValue("Set-Cookie")).as("app-tier cookies stay behind").isEmpty();

		StandInAppTier.Received received = received(a, b).get(0);
		assertThat(response.headers().firstValue("X-App-Node")).hasValue(receivedBy(a, b).name());
		assertThat(received.method()).isEqualTo("POST");
		assertThat(received.uri()).isEqualTo("/api/orders?note=a%20b&x=%2F");
		assertThat(received.bodyText()).isEqualTo(body);
		assertThat(received.header("Content-Type")).startsWith("application/json");
		assertThat(received.header("Accept")).isEqualTo("application/json");
		assertThat(received.header("Idempotency-Key")).isEqualTo("key-1");
		assertThat(received.header("X-Request-Id")).isEqualTo("req-123");
		// The node takes the client from the load balancer's X-Forwarded-For (its own
		// peer,
		// an internal address, is a proxy) and names it to the app tier.
		assertThat(received.header("X-Forwarded-For")).isEqualTo("203.0.113.7");
		assertThat(received.header("X-Forwarded-Proto")).isEqualTo("https");
	}

	@Test
	@Order(3)
	void givesRequestsWithoutAnIdAnIdAndPassesItOn() throws Exception {
		HttpResponse<String> response = send(get("/api/books?q=x").header("X-Request-Id", "not acceptable!"));
		String id = response.headers().firstValue("X-Request-Id").orElseThrow();
		assertThat(id).matches("[0-9a-f-]{36}");
		assertThat(received(a, b).get(0).header("X-Request-Id")).isEqualTo(id);
	}

	@Test
	@Order(4)
	void retriesGetOnceOnAnotherInstance() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 503, "{}")));
		HttpResponse<String> response = send(get("/api/books"));
		assertThat(response.statusCode()).as("the last answer is relayed").isEqualTo(503);
		assertThat(a.received()).hasSize(1);
		assertThat(b.received()).hasSize(1);
	}

	@Test
	@Order(5)
	void retriesPostWithIdempotencyKeyOnceOnAnotherInstance() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 502, "{}")));
		HttpResponse<String> response = send(request("/api/orders").header("Content-Type", "application/json")
			.header("Idempotency-Key", "key-2")
			.POST(BodyPublishers.ofString("{}")));
		assertThat(response.statusCode()).isEqualTo(502);
		assertThat(a.received()).hasSize(1);
		assertThat(b.received()).hasSize(1);
	}

	@Test
	@Order(6)
	void neverRetriesPostWithoutIdempotencyKey() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 503, "{\"n\":1}")));
		HttpResponse<String> response = send(
				request("/api/orders").header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}")));
		assertThat(response.statusCode()).isEqualTo(503);
		assertThat(response.body()).isEqualTo("{\"n\":1}");
		assertThat(received(a, b)).as("sent exactly once").hasSize(1);
	}

	@Test
	@Order(7)
	void retriesEveryIdempotentMethodAsHaproxyDoes() throws Exception {
		for (String method : List.of("PUT", "DELETE")) {
			resetStandIns();
			ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 503, "{}")));
			HttpResponse<String> response = send(request("/api/orders/1").method(method, BodyPublishers.noBody()));
			assertThat(response.statusCode()).isEqualTo(503);
			assertThat(a.received()).as(method).hasSize(1);
			assertThat(b.received()).as(method).hasSize(1);
		}
	}

	@Test
	@Order(8)
	void retriesGetCutOffMidAnswerOnAnotherInstance() throws Exception {
		AtomicInteger answered = new AtomicInteger();
		ready().forEach((node) -> node.respondWith((self, exchange) -> {
			if (answered.getAndIncrement() == 0) {
				cutOff(exchange);
			}
			self.json(exchange, 200, "{\"whole\":true}");
		}));
		HttpResponse<String> response = send(get("/api/books"));
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("{\"whole\":true}");
		assertThat(a.received()).hasSize(1);
		assertThat(b.received()).hasSize(1);
	}

	@Test
	@Order(9)
	void pagesRetryOnAnotherInstanceByTheSameRules() throws Exception {
		AtomicInteger answered = new AtomicInteger();
		ready().forEach((node) -> node.respondWith((self, exchange) -> {
			if (answered.getAndIncrement() == 0) {
				cutOff(exchange);
			}
			self.json(exchange, 200, "{\"content\":[],\"page\":0,\"size\":20,\"totalElements\":0,\"totalPages\":0}");
		}));
		HttpResponse<String> page = send(get("/").header("Accept", "text/html"));
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(a.received()).hasSize(1);
		assertThat(b.received()).hasSize(1);
	}

	@Test
	@Order(10)
	void answers503ProblemWhenAPostWithoutIdempotencyKeyIsCutOff() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> cutOff(exchange)));
		HttpResponse<String> response = send(
				request("/api/orders").header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}")));
		assertServiceUnavailableProblem(response);
		assertThat(received(a, b)).as("sent exactly once").hasSize(1);
	}

	@Test
	@Order(11)
	void refusesBodiesOver16KiBWithoutForwarding() throws Exception {
		HttpResponse<String> response = send(request("/api/orders").header("Content-Type", "application/json")
			.header("Idempotency-Key", "key-3")
			.POST(BodyPublishers.ofString("x".repeat(16 * 1024 + 1))));
		assertThat(response.statusCode()).isEqualTo(413);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(response.body()).contains("urn:tierstack:problem:payload-too-large");
		assertThat(received(a, b)).isEmpty();
	}

	@Test
	@Order(12)
	void answers503ProblemByTheDeadlineWhenEveryInstanceHangs() throws Exception {
		ready().forEach(StandInAppTier::hang);
		long started = System.nanoTime();
		HttpResponse<String> response = send(get("/api/books"));
		assertServiceUnavailableProblem(response);
		assertThat(since(started)).as("an attempt's time, then the rest of the deadline")
			.isBetween(REQUEST_TIMEOUT.minusMillis(100), REQUEST_TIMEOUT.plusSeconds(1));
		assertThat(a.received()).hasSize(1);
		assertThat(b.received()).hasSize(1);

		// Both paused now: the one attempt is the last chance, and no time is left to
		// send the retry.
		started = System.nanoTime();
		HttpResponse<String> page = send(get("/").header("Accept", "text/html"));
		assertThat(page.statusCode()).isEqualTo(503);
		assertThat(page.body()).contains("temporarily unavailable").doesNotContain("Exception");
		assertThat(since(started)).as("the whole deadline for one attempt")
			.isBetween(REQUEST_TIMEOUT.minusMillis(100), REQUEST_TIMEOUT.plusSeconds(1));
		assertThat(received(a, b)).as("the retry was not sent").hasSize(3);
		waitOutPause();
	}

	@Test
	@Order(13)
	void givesTheRetryTheRestOfTheDeadlineWhenEveryInstanceIsSlow() throws Exception {
		Duration slow = ATTEMPT_TIMEOUT.multipliedBy(3).dividedBy(2);
		ready().forEach((node) -> node.answerAfter(slow));
		int sent = 0;
		for (HttpRequest.Builder request : List.of(get("/api/books"), get("/").header("Accept", "text/html"))) {
			long started = System.nanoTime();
			HttpResponse<String> response = send(request);
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(since(started)).as("an attempt timed out, the retry waited for its answer")
				.isBetween(ATTEMPT_TIMEOUT.plus(slow).minusMillis(100), REQUEST_TIMEOUT.plusSeconds(1));
			sent++;
			assertThat(a.received()).hasSize(sent);
			assertThat(b.received()).hasSize(sent);
			waitOutPause();
		}
	}

	@Test
	@Order(14)
	void answersAGetFromAnotherInstanceWhenOneHangsAndLeavesItOut() throws Exception {
		assertAnsweredByBWhileAHangs(get("/api/books"));
	}

	@Test
	@Order(15)
	void answersAPostWithIdempotencyKeyFromAnotherInstanceWhenOneHangs() throws Exception {
		assertAnsweredByBWhileAHangs(request("/api/orders").header("Content-Type", "application/json")
			.header("Idempotency-Key", "key-4")
			.POST(BodyPublishers.ofString("{}")));
	}

	@Test
	@Order(16)
	void pagesAreAnsweredFromAnotherInstanceWhenOneHangs() throws Exception {
		assertAnsweredByBWhileAHangs(get("/").header("Accept", "text/html"));
	}

	@Test
	@Order(17)
	void neverRetriesAPostWithoutIdempotencyKeyThatTimedOut() throws Exception {
		ready().forEach(StandInAppTier::hang);
		long started = System.nanoTime();
		HttpResponse<String> response = send(
				request("/api/orders").header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}")));
		Duration elapsed = since(started);
		assertServiceUnavailableProblem(response);
		assertThat(elapsed).as("the read timeout, once")
			.isBetween(READ_TIMEOUT.minusMillis(100), READ_TIMEOUT.plusSeconds(1));
		assertThat(received(a, b)).as("sent exactly once").hasSize(1);
		waitOutPause();
	}

	@Test
	@Order(18)
	void failsOverToAnotherInstanceWhenOneIsGone() throws Exception {
		a.stop();
		for (int i = 0; i < 6; i++) {
			HttpResponse<String> response = send(get("/api/books"));
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-b");
		}
		assertThat(b.received()).hasSize(6);
	}

	@Test
	@Order(19)
	void sendsAPostWithoutKeyToAnotherInstanceWhenNoConnectionCouldBeMade() throws Exception {
		a.stop();
		for (int i = 0; i < 4; i++) {
			HttpResponse<String> response = send(request("/api/orders").header("Content-Type", "application/json")
				.POST(BodyPublishers.ofString("{}")));
			assertThat(response.statusCode()).as("nothing reached the first instance").isEqualTo(200);
		}
		assertThat(b.received()).hasSize(4);
	}

	@Test
	@Order(20)
	void answers503QuicklyWhenNoInstanceAnswersAndStaysReady() throws Exception {
		a.stop();
		b.stop();
		long started = System.nanoTime();
		HttpResponse<String> response = send(get("/api/books"));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertServiceUnavailableProblem(response);
		assertThat(elapsed).as("connect timeout 1 s per try").isLessThan(Duration.ofMillis(2500));

		HttpResponse<String> page = send(get("/").header("Accept", "text/html"));
		assertThat(page.statusCode()).isEqualTo(503);
		assertThat(page.body()).contains("temporarily unavailable").doesNotContain("Exception");

		HttpResponse<String> readiness = send(get("/readyz"));
		assertThat(readiness.statusCode()).as("readiness does not depend on the app tier").isEqualTo(200);
	}

	// a hangs: b answers every request within an attempt's timeout (and slack), never
	// after the read timeout; a is tried once, then left out for its pause.
	private void assertAnsweredByBWhileAHangs(HttpRequest.Builder request) throws Exception {
		a.hang();
		for (int i = 0; i < 4; i++) {
			long started = System.nanoTime();
			HttpResponse<String> response = send(request);
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-b");
			assertThat(since(started)).isLessThan(ATTEMPT_TIMEOUT.plusSeconds(1));
		}
		assertThat(a.received()).as("tried once, then left out").hasSize(1);
		assertThat(b.received()).hasSize(4);
		waitOutPause();
	}

	private static void assertServiceUnavailableProblem(HttpResponse<String> response) {
		assertThat(response.statusCode()).isEqualTo(503);
		assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(response.body()).contains("\"type\":\"urn:tierstack:problem:service-unavailable\"")
			.doesNotContain("Exception");
	}

	private static List<StandInAppTier.Received> received(StandInAppTier... nodes) {
		return List.of(nodes).stream().flatMap((node) -> node.received().stream()).toList();
	}

	private static StandInAppTier receivedBy(StandInAppTier... nodes) {
		Map<Boolean, List<StandInAppTier>> byUse = List.of(nodes)
			.stream()
			.collect(Collectors.partitioningBy((node) -> !node.received().isEmpty()));
		assertThat(byUse.get(true)).hasSize(1);
		return byUse.get(true).get(0);
	}

	// An answer that breaks off: a head promising 100 bytes, 10 of them, then the
	// connection closes (as when the instance is killed while sending it).
	private static void cutOff(HttpExchange exchange) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(200, 100);
		exchange.getResponseBody().write("{\"content\"".getBytes(StandardCharsets.UTF_8));
		exchange.getResponseBody().flush();
		throw new IOException("cut off");
	}

	private static Duration since(long started) {
		return Duration.ofNanos(System.nanoTime() - started);
	}

	// So that the next test finds every instance in rotation.
	private static void waitOutPause() throws InterruptedException {
		Thread.sleep(PAUSE);
	}

	private HttpRequest.Builder request(String path) {
		return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(10));
	}

	private HttpRequest.Builder get(String path) {
		return request(path).GET();
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
		return this.http.send(request.build(), BodyHandlers.ofString());
	}

}
