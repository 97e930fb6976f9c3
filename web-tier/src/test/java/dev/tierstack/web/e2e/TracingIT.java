package dev.tierstack.web.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import dev.tierstack.support.testsupport.ZipkinStandIn.Span;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One request followed through the tiers: a client's sampled {@code traceparent} is
 * continued by the web tier, carried to the app tier and continued there down to the SQL
 * statements, every span tagged with the load balancer's request id; and the answer's
 * {@code Server-Timing} has the time of each tier.
 */
@EnabledIfDockerAvailable
class TracingIT {

	private static final HexFormat HEX = HexFormat.of();

	private static final SecureRandom RANDOM = new SecureRandom();

	private static RunningStack stack;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@BeforeAll
	static void start() {
		stack = RunningStack.get();
		stack.ensureAppTierRunning();
	}

	@Test
	void aPageRequestIsOneTraceAcrossTheTiers() throws Exception {
		String traceId = HEX.formatHex(RANDOM.generateSeed(16));
		HttpResponse<String> page = get("/?q=river", traceId, "lb1:page.1");
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.headers().allValues("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[0-9]+\\.[0-9], app;dur=[0-9]+\\.[0-9], db;dur=[0-9]+\\.[0-9]");

		List<Span> trace = stack.zipkin().trace(traceId, complete());
		assertOneRequestAcrossTheTiers(trace, "lb1:page.1", "http get /");
	}

	@Test
	void anApiRequestIsOneTraceAcrossTheTiers() throws Exception {
		String traceId = HEX.formatHex(RANDOM.generateSeed(16));
		HttpResponse<String> answer = get("/api/books?q=river&size=5", traceId, "lb1:api.1");
		assertThat(answer.statusCode()).isEqualTo(200);
		assertThat(answer.headers().allValues("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[0-9]+\\.[0-9], app;dur=[0-9]+\\.[0-9], db;dur=[0-9]+\\.[0-9]");

		List<Span> trace = stack.zipkin().trace(traceId, complete());
		assertOneRequestAcrossTheTiers(trace, "lb1:api.1", "http get /api/**");
	}

	private HttpResponse<String> get(String path, String traceId, String requestId) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create(stack.webUrl() + path))
			.header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
			.header("X-Request-Id", requestId)
			.build(), BodyHandlers.ofString());
	}

	// The web tier's server span ends last, its SQL spans are the app tier's last.
	private static Predicate<List<Span>> complete() {
		return (spans) -> spans.stream().anyMatch((span) -> span.tag("jdbc.query[0]") != null) && spans.stream()
			.anyMatch((span) -> "web-tier".equals(span.serviceName()) && "SERVER".equals(span.kind()));
	}

	private static void assertOneRequestAcrossTheTiers(List<Span> trace, String requestId, String webServerSpan) {
		assertThat(trace).allSatisfy((span) -> assertThat(span.tag("request.id")).isEqualTo(requestId));
		Span webServer = only(trace, "web-tier", "SERVER");
		assertThat(webServer.name()).isEqualTo(webServerSpan);
		assertThat(webServer.parentId()).as("the client's span").isEqualTo("00f067aa0ba902b7");
		Span webClient = only(trace, "web-tier", "CLIENT");
		Span appServer = only(trace, "app-tier", "SERVER");
		assertThat(appServer.parentId()).as("the web tier's call").isEqualTo(webClient.id());
		assertThat(appServer.name()).isEqualTo("http get /api/books");
		List<Span> sql = trace.stream().filter((span) -> span.tag("jdbc.query[0]") != null).toList();
		assertThat(sql).isNotEmpty().allSatisfy((span) -> {
			assertThat(span.serviceName()).isEqualTo("app-tier");
			assertThat(span.tag("jdbc.query[0]")).contains("?").doesNotContainIgnoringCase("river");
			assertThat(span.tag("jdbc.params[0]")).isNull();
			assertThat(ancestors(trace, span)).contains(appServer);
		});
	}

	private static Span only(List<Span> trace, String service, String kind) {
		List<Span> spans = trace.stream()
			.filter((span) -> service.equals(span.serviceName()) && kind.equals(span.kind()))
			.toList();
		assertThat(spans).as(service + " " + kind).hasSize(1);
		return spans.get(0);
	}

	private static List<Span> ancestors(List<Span> trace, Span span) {
		List<Span> ancestors = new java.util.ArrayList<>();
		Span current = span;
		while (current.parentId() != null) {
			String parentId = current.parentId();
			current = trace.stream().filter((candidate) -> candidate.id().equals(parentId)).findFirst().orElse(null);
			if (current == null) {
				break;
			}
			ancestors.add(current);
		}
		return ancestors;
	}

}
