package dev.tierstack.web.forward;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An app instance that fails again as soon as it is back, while another serves, is left
 * out twice as long each time, up to the maximum (here 2 s, then 4 s): the web tier in
 * front of two instances, one of which hangs, read from one request after another.
 */
@WebTierOverStandIns
class RepeatedFailureTests {

	private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(500);

	private static final StandInAppTier hanging = StandInAppTier.start("app-hanging");

	private static final StandInAppTier answering = StandInAppTier.start("app-answering");

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void appTier(DynamicPropertyRegistry registry) {
		registry.add("tierstack.app-tier.urls", () -> hanging.baseUrl() + "," + answering.baseUrl());
		registry.add("tierstack.app-tier.failed-instance-pause", () -> "2s");
		registry.add("tierstack.app-tier.failed-instance-max-pause", () -> "4s");
	}

	@AfterAll
	static void stopAppTier() {
		hanging.stop();
		answering.stop();
	}

	@Test
	void aHungInstanceIsTriedLessOftenTheLongerItHangs() throws Exception {
		for (int i = 0; i < 10; i++) {
			assertThat(read().statusCode()).as("warm-up").isEqualTo(200);
		}
		hanging.reset();
		hanging.hang();
		// Tried at once, then after each attempt that found it hung (500 ms) and the
		// pause
		// that followed (2 s, then 4 s): at about 0, 2.5 and 7 s. Each gap is at least
		// the
		// attempt and its pause, the first under what a 4 s pause would make.
		List<Long> gaps = gaps(triedAtMs(3, Duration.ofSeconds(20)));
		System.out.println("[web-tier] repeated-failure: ms between the attempts at the hung instance " + gaps);
		assertThat(gaps.get(0)).as("ms until the second attempt: left out 2 s")
			.isGreaterThanOrEqualTo(2500)
			.isLessThan(4500);
		assertThat(gaps.get(1)).as("ms until the third: left out 4 s").isGreaterThanOrEqualTo(4500);
		assertThat(hanging.received()).hasSize(3);
		hanging.reset();
	}

	// Reads one after another until the hanging instance has held the given number of
	// them (each took the attempt's time, then the other instance answered it), or for
	// at most the given time; when each of those was sent, in ms from the first read.
	private List<Long> triedAtMs(int tries, Duration atMost) throws Exception {
		List<Long> triedAt = new ArrayList<>();
		long start = System.nanoTime();
		while (triedAt.size() < tries) {
			assertThat(Duration.ofNanos(System.nanoTime() - start)).as("reads until %d were held", tries)
				.isLessThan(atMost);
			long sent = System.nanoTime();
			HttpResponse<String> response = read();
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-answering");
			if (System.nanoTime() - sent >= ATTEMPT_TIMEOUT.toNanos()) {
				triedAt.add(Duration.ofNanos(sent - start).toMillis());
			}
		}
		return triedAt;
	}

	private static List<Long> gaps(List<Long> times) {
		List<Long> gaps = new ArrayList<>();
		for (int i = 1; i < times.size(); i++) {
			gaps.add(times.get(i) - times.get(i - 1));
		}
		return gaps;
	}

	private HttpResponse<String> read() throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/api/books"))
			.timeout(Duration.ofSeconds(10))
			.build(), BodyHandlers.ofString());
	}

}
