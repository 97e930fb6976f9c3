package dev.tierstack.app.system;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tierstack.app.Api;
import dev.tierstack.app.AppIntegrationTest;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prometheus scrapes the management port, which the web tier never forwards to; the main
 * port has the probes that the web tier's and Docker's checks ask, and nothing else of
 * Actuator's.
 */
@AppIntegrationTest
class ManagementPortIT {

	@LocalServerPort
	private int port;

	@LocalManagementPort
	private int managementPort;

	@Test
	void requestMetricsAreHistogramsOnTheManagementPort() {
		assertThat(new Api(this.port).get("/api/books?size=1").statusCode()).isEqualTo(200);

		HttpResponse<String> metrics = new Api(this.managementPort).get("/actuator/prometheus");
		assertThat(metrics.statusCode()).isEqualTo(200);
		assertThat(metrics.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("text/plain"));
		List<String> buckets = metrics.body()
			.lines()
			.filter((line) -> line.startsWith("http_server_requests_seconds_bucket{")
					&& line.contains("method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/api/books\""))
			.toList();
		assertThat(buckets).as("1 ms to 10 s: a few dozen buckets, not hundreds")
			.hasSizeBetween(10, 80)
			.allSatisfy((line) -> assertThat(line).contains("application=\"app\""));
	}

	@Test
	void scrapesInPrometheusOwnFormatCarryNoExemplarsEvenForTracedRequests() {
		// Sampled (traceparent flags 01): its timings would carry its trace id as an
		// exemplar,
		// which Prometheus 2.42 refuses on a histogram's _count, failing the whole
		// scrape.
		assertThat(new Api(this.port)
			.get("/api/books?size=1", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			.statusCode()).isEqualTo(200);

		HttpResponse<String> metrics = new Api(this.managementPort).get("/actuator/prometheus", "Accept",
				"application/openmetrics-text; version=1.0.0; charset=utf-8");
		assertThat(metrics.statusCode()).isEqualTo(200);
		assertThat(metrics.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/openmetrics-text"));
		assertThat(metrics.body().lines().filter((line) -> line.contains(" # {")).toList()).as("exemplars").isEmpty();
	}

	@Test
	void theMainPortHasTheProbesAndNoOtherActuatorEndpoint() {
		Api api = new Api(this.port);
		for (String probe : new String[] { "/readyz", "/livez" }) {
			assertThat(api.get(probe).statusCode()).as(probe).isEqualTo(200);
		}
		for (String path : new String[] { "/actuator/prometheus", "/actuator/health", "/actuator" }) {
			HttpResponse<String> response = api.get(path);
			assertThat(response.statusCode()).as(path).isEqualTo(404);
			assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		}
		HttpResponse<String> health = new Api(this.managementPort).get("/actuator/health");
		assertThat(health.statusCode()).isEqualTo(200);
		assertThat(Api.json(health).get("status").asString()).isEqualTo("UP");
	}

}
