package dev.tierstack.app.system;

import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

import dev.tierstack.app.Api;
import dev.tierstack.app.AppIntegrationTest;
import dev.tierstack.app.TestBooks;
import dev.tierstack.support.testsupport.ZipkinStandIn;
import dev.tierstack.support.testsupport.ZipkinStandIn.Span;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.tracing.test.autoconfigure.AutoConfigureTracing;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The app tier continues the trace that the web tier started (a sampled
 * {@code traceparent}), down to its SQL statements, every span tagged with the request
 * id; its health probes and Prometheus' scrapes make no trace.
 */
@AppIntegrationTest
@AutoConfigureTracing
class TracingIT {

	private static final ZipkinStandIn zipkin = ZipkinStandIn.start();

	private static final HexFormat HEX = HexFormat.of();

	private static final SecureRandom RANDOM = new SecureRandom();

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@Autowired
	private JdbcClient jdbc;

	@DynamicPropertySource
	static void zipkin(DynamicPropertyRegistry registry) {
		registry.add("tierstack.tracing.zipkin-endpoint", zipkin::endpoint);
	}

	@AfterAll
	static void stopZipkin() {
		zipkin.close();
	}

	@Test
	void aSampledRequestIsContinuedDownToItsSqlStatements() throws Exception {
		String isbn = new TestBooks(this.jdbc).insert("Traced Book", "Ann Author", "7.25", 9);
		String traceId = newTraceId();
		HttpResponse<String> response = new Api(this.port).get("/api/books/" + isbn, "traceparent",
				"00-" + traceId + "-00f067aa0ba902b7-01", "X-Request-Id", "lb1:trace.1");
		assertThat(response.statusCode()).isEqualTo(200);

		List<Span> trace = zipkin.trace(traceId,
				(spans) -> spans.stream().anyMatch((span) -> span.tag("jdbc.query[0]") != null));
		assertThat(trace).allSatisfy((span) -> {
			assertThat(span.tag("request.id")).isEqualTo("lb1:trace.1");
			assertThat(span.serviceName()).isEqualTo("app-tier");
		});
		Span server = trace.stream().filter((span) -> "SERVER".equals(span.kind())).findFirst().orElseThrow();
		assertThat(server.name()).isEqualTo("http get /api/books/{isbn}");
		assertThat(server.parentId()).as("the web tier's span").isEqualTo("00f067aa0ba902b7");
		List<Span> sql = trace.stream().filter((span) -> span.tag("jdbc.query[0]") != null).toList();
		assertThat(sql).singleElement().satisfies((statement) -> {
			assertThat(statement.name()).isEqualTo("query");
			assertThat(statement.parentId()).isEqualTo(server.id());
			assertThat(statement.tag("jdbc.query[0]")).contains("from bookshop.book")
				.contains("isbn=?")
				.doesNotContain(isbn);
			assertThat(statement.tags()).doesNotContainKey("jdbc.params[0]");
		});
	}

	@Test
	void probesAndScrapesMakeNoTrace() throws Exception {
		List<String> untraced = List.of(newTraceId(), newTraceId(), newTraceId());
		Api api = new Api(this.port);
		assertThat(api.get("/readyz", "traceparent", traceparent(untraced.get(0))).statusCode()).isEqualTo(200);
		assertThat(api.get("/livez", "traceparent", traceparent(untraced.get(1))).statusCode()).isEqualTo(200);
		assertThat(new Api(this.managementPort).get("/actuator/prometheus", "traceparent", traceparent(untraced.get(2)))
			.statusCode()).isEqualTo(200);
		// A traced request after them: once its spans are in, theirs would be too.
		String traced = newTraceId();
		assertThat(api.get("/api/books?size=1", "traceparent", traceparent(traced)).statusCode()).isEqualTo(200);
		assertThat(zipkin.trace(traced, (spans) -> spans.size() >= 3)).isNotEmpty();
		assertThat(zipkin.spans()).extracting(Span::traceId).doesNotContainAnyElementsOf(untraced);
	}

	private static String newTraceId() {
		return HEX.formatHex(RANDOM.generateSeed(16));
	}

	private static String traceparent(String traceId) {
		return "00-" + traceId + "-00f067aa0ba902b7-01";
	}

}
