package dev.tierstack.web.forward;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web tier in front of a single app instance, as while the others restart: a retry
 * would have nowhere to go, so every first attempt at a request that may be repeated is
 * its last chance and waits until the request's deadline (1.5 s), not an attempt's time
 * (500 ms).
 */
@WebTierOverStandIns
class OneAppInstanceTests {

	private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(500);

	private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(1500);

	private static final StandInAppTier only = StandInAppTier.start("app-only");

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void appTier(DynamicPropertyRegistry registry) {
		registry.add("tierstack.app-tier.urls", only::baseUrl);
	}

	@AfterAll
	static void stopAppTier() {
		only.stop();
	}

	@BeforeEach
	void resetAppTier() {
		only.reset();
	}

	@Test
	void aGetAndAPageWaitForASlowInstanceBeyondAnAttemptsTime() throws Exception {
		Duration slow = ATTEMPT_TIMEOUT.multipliedBy(3).dividedBy(2);
		only.answerAfter(slow);
		assertAnsweredAfter(slow, "/api/books", "application/json");
		assertAnsweredAfter(slow, "/", "text/html");
		assertThat(only.received()).as("one attempt each").hasSize(2);
	}

	@Test
	void aHungInstanceCostsARequestTheWholeDeadlineAndOneAttempt() throws Exception {
		only.hang();
		long started = System.nanoTime();
		HttpResponse<String> response = get("/api/books", "application/json");
		assertThat(response.statusCode()).isEqualTo(503);
		assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
		assertThat(since(started)).isBetween(REQUEST_TIMEOUT.minusMillis(100), REQUEST_TIMEOUT.plusSeconds(1));
		assertThat(only.received()).hasSize(1);
	}

	/**
	 * The load balancer's budget for the request ({@code X-Request-Budget}) replaces the
	 * web tier's own: longer when the load balancer will not retry the request (its queue
	 * is full), shorter if it says so, never longer than a non-repeatable request waits.
	 */
	@Test
	void theLoadBalancersBudgetForTheRequestIsTheDeadline() throws Exception {
		Duration slow = REQUEST_TIMEOUT.plusMillis(500);
		only.answerAfter(slow);
		for (String[] path : new String[][] { { "/api/books", "application/json" }, { "/", "text/html" } }) {
			long started = System.nanoTime();
			HttpResponse<String> response = get(path[0], path[1], "2800");
			assertThat(response.statusCode()).as(path[0]).isEqualTo(200);
			assertThat(since(started)).as(path[0]).isBetween(slow, slow.plusSeconds(1));
		}

		only.hang();
		long started = System.nanoTime();
		assertThat(get("/api/books", "application/json", "700").statusCode()).isEqualTo(503);
		assertThat(since(started)).isBetween(Duration.ofMillis(600), Duration.ofMillis(1400));
		started = System.nanoTime();
		assertThat(get("/api/books", "application/json", "60000").statusCode()).isEqualTo(503);
		assertThat(since(started)).as("at most the read timeout, 3 s")
			.isBetween(Duration.ofMillis(2900), Duration.ofMillis(4000));
	}

	private void assertAnsweredAfter(Duration slow, String path, String accept) throws Exception {
		long started = System.nanoTime();
		HttpResponse<String> response = get(path, accept);
		assertThat(response.statusCode()).as(path).isEqualTo(200);
		assertThat(since(started)).as(path).isBetween(slow, REQUEST_TIMEOUT.plusSeconds(1));
	}

	private HttpResponse<String> get(String path, String accept) throws Exception {
		return get(path, accept, null);
	}

	private HttpResponse<String> get(String path, String accept, String budget) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept", accept)
			.timeout(Duration.ofSeconds(10));
		if (budget != null) {
			request.header("X-Request-Budget", budget);
		}
		return this.http.send(request.build(), BodyHandlers.ofString());
	}

	private static Duration since(long started) {
		return Duration.ofNanos(System.nanoTime() - started);
	}

}
