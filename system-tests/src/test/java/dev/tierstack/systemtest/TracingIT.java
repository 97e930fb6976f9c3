package dev.tierstack.systemtest;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One request through the VIP, followed across the tiers: its trace in Zipkin, found by
 * the {@code X-Request-Id} the client got back, has spans from the web tier, the app tier
 * and the app tier's SQL, every one of them tagged with that id; and the answer's
 * {@code Server-Timing} names the time spent in each tier.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(1)
class TracingIT {

	/** The reporters send spans about once a second; Zipkin indexes them at once. */
	private static final Duration SPANS_ARRIVE = Duration.ofSeconds(30);

	private static ComposeStack stack;

	private static HttpClient http;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		http = Http.client();
	}

	@Test
	void aBookPagesTraceHasSpansFromEachTierAndTheSqlAllTaggedWithTheRequestId() throws InterruptedException {
		String isbn = Http.isbnsInStock(http, stack.vipUrl(), 1).get(0);
		String traceId = Http.newTraceId();
		String traceparent = Http.sampledTraceparent(traceId);
		HttpResponse<String> page = Http.send(http,
				Http.request(stack.vipUrl(), "/books/" + isbn).header("traceparent", traceparent).GET().build());
		assertThat(page.statusCode()).isEqualTo(200);
		String requestId = page.headers().firstValue("X-Request-Id").orElseThrow();
		List<String> serverTiming = page.headers().allValues("Server-Timing");

		List<JsonNode> spans = List.of();
		Instant deadline = Instant.now().plus(SPANS_ARRIVE);
		while (Instant.now().isBefore(deadline)) {
			spans = spansTagged(requestId);
			if (!serverSpans(spans, "web-tier").isEmpty() && !serverSpans(spans, "app-tier").isEmpty()
					&& !sqlSpans(spans).isEmpty()) {
				break;
			}
			Thread.sleep(1000);
		}
		List<String> described = spans.stream()
			.map((span) -> span.path("localEndpoint").path("serviceName").asString() + " "
					+ span.path("kind").asString("") + " " + span.path("name").asString() + " "
					+ span.path("duration").asLong() + " us")
			.toList();
		Results.of("trace")
			.put("requestId", requestId)
			.put("traceId", traceId)
			.put("serverTiming", serverTiming)
			.put("spans", described)
			.write();
		assertThat(serverSpans(spans, "web-tier")).as("the web tier's span of the page").hasSize(1);
		assertThat(serverSpans(spans, "app-tier")).as("the app tier's spans of its calls").isNotEmpty();
		assertThat(sqlSpans(spans)).as("SQL spans of the app tier").isNotEmpty();
		assertThat(spans).allSatisfy((span) -> {
			assertThat(span.path("traceId").asString()).isEqualTo(traceId);
			assertThat(span.path("tags").path("request.id").asString()).isEqualTo(requestId);
		});
		assertThat(String.join(", ", serverTiming)).contains("web;dur=", "app;dur=");
	}

	/** The spans Zipkin holds with the tag {@code request.id} set to the given id. */
	private static List<JsonNode> spansTagged(String requestId) {
		String query = URLEncoder.encode("request.id=" + requestId, StandardCharsets.UTF_8);
		HttpResponse<String> response = Http.get(http, stack.zipkinUrl(),
				"/api/v2/traces?annotationQuery=" + query + "&lookback=600000&limit=10");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		List<JsonNode> spans = new ArrayList<>();
		Http.json(response).forEach((trace) -> trace.forEach(spans::add));
		return spans;
	}

	private static List<JsonNode> serverSpans(List<JsonNode> spans, String service) {
		return spans.stream()
			.filter((span) -> service.equals(span.path("localEndpoint").path("serviceName").asString()))
			.filter((span) -> "SERVER".equals(span.path("kind").asString("")))
			.toList();
	}

	private static List<JsonNode> sqlSpans(List<JsonNode> spans) {
		return spans.stream()
			.filter((span) -> "app-tier".equals(span.path("localEndpoint").path("serviceName").asString()))
			.filter((span) -> span.path("tags").has("jdbc.query[0]"))
			.toList();
	}

}
