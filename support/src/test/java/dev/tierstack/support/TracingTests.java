package dev.tierstack.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import brave.handler.SpanHandler;
import dev.tierstack.support.testsupport.ZipkinStandIn;
import dev.tierstack.support.testsupport.ZipkinStandIn.Span;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import zipkin2.reporter.BytesMessageSender;
import zipkin2.reporter.brave.AsyncZipkinSpanHandler;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every node's traces look like ({@link TracingAutoConfiguration}), on a node that
 * samples no request of its own: only those that arrive with a sampled
 * {@code traceparent}.
 */
class TracingTests {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

	private static ZipkinStandIn zipkin;

	private static ConfigurableApplicationContext node;

	@BeforeAll
	static void start() {
		zipkin = ZipkinStandIn.start();
		node = TestNode.start("tierstack.tracing.zipkin-endpoint=" + zipkin.endpoint());
	}

	@AfterAll
	static void stop() {
		node.close();
		zipkin.close();
	}

	@Test
	void aSampledTraceparentIsContinuedAndEverySpanCarriesTheRequestId() throws Exception {
		String traceId = newTraceId();
		HttpResponse<String> response = get("/work", "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01",
				"X-Request-Id", "lb1:0a1b2c.42");
		assertThat(response.statusCode()).isEqualTo(200);

		List<Span> trace = zipkin.trace(traceId, (spans) -> spans.size() >= 2);
		assertThat(trace).extracting(Span::name).containsExactlyInAnyOrder("http get /work", "work");
		assertThat(trace).allSatisfy((span) -> {
			assertThat(span.tag("request.id")).isEqualTo("lb1:0a1b2c.42");
			assertThat(span.serviceName()).isEqualTo("node");
		});
		Span server = trace.stream().filter((span) -> "SERVER".equals(span.kind())).findFirst().orElseThrow();
		assertThat(server.parentId()).isEqualTo("00f067aa0ba902b7");
		assertThat(trace).filteredOn((span) -> span != server).extracting(Span::parentId).containsOnly(server.id());
	}

	@Test
	void unsampledRequestsProbesAndActuatorLeaveNoSpan() throws Exception {
		String unsampled = newTraceId();
		String probe = newTraceId();
		String actuator = newTraceId();
		assertThat(get("/work", "traceparent", "00-" + unsampled + "-00f067aa0ba902b7-00").statusCode()).isEqualTo(200);
		assertThat(get("/readyz", "traceparent", "00-" + probe + "-00f067aa0ba902b7-01").statusCode()).isEqualTo(200);
		assertThat(get("/actuator/health", "traceparent", "00-" + actuator + "-00f067aa0ba902b7-01").statusCode())
			.isEqualTo(200);
		// A sampled request after them: once its spans are in, theirs would be too.
		String sampled = newTraceId();
		get("/work", "traceparent", "00-" + sampled + "-00f067aa0ba902b7-01");
		assertThat(zipkin.trace(sampled, (spans) -> spans.size() >= 2)).hasSize(2);
		assertThat(zipkin.spans()).extracting(Span::traceId).doesNotContain(unsampled, probe, actuator);
	}

	@Test
	void withoutAnEndpointNothingIsExported() {
		try (ConfigurableApplicationContext quiet = TestNode.start("tierstack.tracing.zipkin-endpoint=")) {
			assertThat(quiet.getBean("zipkinSpanHandler")).isSameAs(SpanHandler.NOOP);
			assertThat(quiet.getBeansOfType(AsyncZipkinSpanHandler.class)).isEmpty();
			assertThat(quiet.getBeanNamesForType(BytesMessageSender.class)).isEmpty();
		}
	}

	private static String newTraceId() {
		return HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
	}

	private static HttpResponse<String> get(String path, String... headers) throws Exception {
		URI uri = URI.create("http://127.0.0.1:" + node.getEnvironment().getProperty("local.server.port") + path);
		return http.send(HttpRequest.newBuilder(uri).headers(headers).build(), BodyHandlers.ofString());
	}

}
