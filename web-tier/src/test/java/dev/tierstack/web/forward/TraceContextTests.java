package dev.tierstack.web.forward;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web tier's calls to the app tier carry the trace on ({@code traceparent}): the
 * client's, when its request came with one, else one the web tier started; the app tier
 * continues it from the web tier's own span for the call.
 */
@WebTierOverStandIns
class TraceContextTests extends StandIns {

	private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	private static final String CLIENT_SPAN_ID = "00f067aa0ba902b7";

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@BeforeEach
	void resetAppTier() {
		resetStandIns();
	}

	@ParameterizedTest
	@ValueSource(strings = { "/", "/api/books" })
	void aClientsSampledTraceGoesOnToTheAppTier(String path) throws Exception {
		HttpResponse<String> response = get(path, "traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN_ID + "-01",
				"X-Request-Id", "lb1:trace.1");
		assertThat(response.statusCode()).isEqualTo(200);
		StandInAppTier.Received call = received().get(0);
		assertThat(call.header("traceparent")).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01")
			.doesNotContain(CLIENT_SPAN_ID);
		assertThat(call.header("X-Request-Id")).isEqualTo("lb1:trace.1");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/", "/api/books" })
	void aRequestWithoutATraceStartsOne(String path) throws Exception {
		assertThat(get(path).statusCode()).isEqualTo(200);
		assertThat(received().get(0).header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")
			.doesNotContain(TRACE_ID);
	}

	private HttpResponse<String> get(String path, String... headers) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept", "text/html,*/*");
		if (headers.length > 0) {
			request.headers(headers);
		}
		return this.http.send(request.build(), BodyHandlers.ofString());
	}

	private static List<StandInAppTier.Received> received() {
		return Stream.of(a, b).flatMap((node) -> node.received().stream()).toList();
	}

}
