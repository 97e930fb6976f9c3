package dev.tierstack.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A node of the app tier as far as this module goes: its filters, tracing as the tiers
 * set it up (sampling no request of its own), health probes, and two endpoints: one that
 * does some work of its own (an observation inside the request's, time added to the
 * request's {@code db} entry), and one whose answer is larger than the response buffer.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@RestController
class TestNode {

	private final ObservationRegistry observations;

	TestNode(ObservationRegistry observations) {
		this.observations = observations;
	}

	static ConfigurableApplicationContext start(String... properties) {
		return new SpringApplicationBuilder(TestNode.class)
			.properties("spring.application.name=node", "server.port=0", "spring.main.banner-mode=off",
					"management.endpoint.health.probes.enabled=true",
					"management.endpoint.health.probes.add-additional-paths=true",
					"management.tracing.sampling.probability=0.0")
			.properties(properties)
			.run();
	}

	@Bean
	FilterRegistrationBean<TierHeadersFilter> tierHeadersFilter() {
		return TierHeadersFilter.registration(Tier.APP, new NodeProperties("app-1", "v7"));
	}

	@Bean
	FilterRegistrationBean<ServerTimingFilter> serverTimingFilter() {
		return ServerTimingFilter.registration(Tier.APP);
	}

	@GetMapping("/work")
	String work() {
		ServerTimingFilter.add("db", 1_000_000);
		ServerTimingFilter.add("db", 250_000);
		return Observation.createNotStarted("work", this.observations).observe(() -> "done");
	}

	@GetMapping("/large")
	void large(HttpServletResponse response) throws IOException {
		response.setContentType("text/plain");
		OutputStream body = response.getOutputStream();
		for (int i = 0; i < 256; i++) {
			body.write("x".repeat(1024).getBytes(StandardCharsets.US_ASCII));
		}
	}

}
