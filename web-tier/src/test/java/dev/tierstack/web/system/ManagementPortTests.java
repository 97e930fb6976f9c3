package dev.tierstack.web.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.List;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prometheus scrapes the management port, which no load balancer forwards to; the main
 * port, where HAProxy sends clients, has the probes its checks need and nothing else of
 * Actuator's.
 */
@WebTierOverStandIns
class ManagementPortTests extends StandIns {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@BeforeEach
	void appTier() {
		resetStandIns();
	}

	@Test
	void metricsOfRequestsAndOfCallsToTheAppTierAreHistogramsOnTheManagementPort() throws Exception {
		assertThat(get(this.port, "/").statusCode()).isEqualTo(200);
		assertThat(get(this.port, "/api/books").statusCode()).isEqualTo(200);

		HttpResponse<String> metrics = get(this.managementPort, "/actuator/prometheus");
		assertThat(metrics.statusCode()).isEqualTo(200);
		assertThat(metrics.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("text/plain"));
		List<String> lines = metrics.body().lines().toList();
		assertThat(buckets(lines, "http_server_requests_seconds_bucket{",
				"method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/\""))
			.as("1 ms to 10 s: a few dozen buckets, not hundreds")
			.hasSizeBetween(10, 80)
			.allSatisfy((line) -> assertThat(line).contains("application=\"web\""));
		assertThat(buckets(lines, "http_server_requests_seconds_bucket{", "uri=\"/api/**\"")).isNotEmpty();
		assertThat(buckets(lines, "http_client_requests_seconds_bucket{", "uri=\"/api/books?q={q}")).isNotEmpty();
	}

	@Test
	void scrapesInPrometheusOwnFormatCarryNoExemplarsEvenForTracedRequests() throws Exception {
		// Sampled (traceparent flags 01): its timings would carry its trace id as an
		// exemplar,
		// which Prometheus 2.42 refuses on a histogram's _count, failing the whole
		// scrape.
		HttpResponse<String> page = this.http
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/"))
				.header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
				.build(), BodyHandlers.ofString());
		assertThat(page.statusCode()).isEqualTo(200);

		HttpResponse<String> metrics = this.http
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.managementPort + "/actuator/prometheus"))
				.header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
				.build(), BodyHandlers.ofString());
		assertThat(metrics.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/openmetrics-text"));
		assertThat(metrics.body().lines().filter((line) -> line.contains(" # {")).toList()).as("exemplars").isEmpty();
	}

	@Test
	void theMainPortHasTheProbesAndNoOtherActuatorEndpoint() throws Exception {
		for (String probe : new String[] { "/readyz", "/livez" }) {
			HttpResponse<String> response = get(this.port, probe);
			assertThat(response.statusCode()).as(probe).isEqualTo(200);
			assertThat(response.body()).as(probe).isEqualTo("{\"status\":\"UP\"}");
		}
		for (String path : new String[] { "/actuator/prometheus", "/actuator/health", "/actuator" }) {
			assertThat(get(this.port, path).statusCode()).as(path).isEqualTo(404);
		}
		assertThat(get(this.managementPort, "/actuator/health").statusCode()).isEqualTo(200);
	}

	private static List<String> buckets(List<String> lines, String name, String tag) {
		return lines.stream().filter((line) -> line.startsWith(name) && line.contains(tag)).toList();
	}

	private HttpResponse<String> get(int port, String path) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.header("Accept", "text/html,*/*")
			.build(), BodyHandlers.ofString());
	}

}
