package dev.tierstack.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On shutdown a node first says it is not ready while still answering, so that a load
 * balancer takes it out before its port closes.
 */
class ShutdownDrainTests {

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

	@Test
	void readinessGoesDownWhileTheServerStillAnswersThenThePortCloses() throws Exception {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Node.class)
			.properties("server.port=0", "server.shutdown=graceful", "management.server.port=0",
					"management.endpoint.health.probes.enabled=true",
					"management.endpoint.health.probes.add-additional-paths=true", "SHUTDOWN_DRAIN=2s")
			.run();
		URI readiness = URI
			.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + "/readyz");
		assertThat(status(readiness)).isEqualTo(200);

		Thread closing = Thread.ofPlatform().start(context::close);
		List<Integer> seen = new ArrayList<>();
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		int status;
		do {
			status = status(readiness);
			seen.add(status);
			Thread.sleep(50);
		}
		while (status != -1 && System.nanoTime() < deadline);
		closing.join(Duration.ofSeconds(30));

		// 503 answers (DOWN, still serving) for most of the 2 s, then refused
		// connections.
		assertThat(seen).contains(503).endsWith(-1);
		assertThat(seen.stream().filter((s) -> s == 503).count()).isGreaterThan(10);
		assertThat(seen.subList(seen.indexOf(503), seen.indexOf(-1))).containsOnly(503);
	}

	private int status(URI uri) throws InterruptedException {
		try {
			return this.http
				.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(), BodyHandlers.discarding())
				.statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
	}

	/**
	 * A node of any tier: a web server with health probes on its own port, the rest of
	 * Actuator on another.
	 */
	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class Node {

	}

}
