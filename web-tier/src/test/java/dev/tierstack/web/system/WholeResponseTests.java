package dev.tierstack.web.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pages, API answers and error pages leave in one piece with their length, never as a
 * chunked stream that a node killed halfway would leave unfinished. Against the running
 * Tomcat, which decides how a response is framed.
 */
@WebTierOverStandIns
class WholeResponseTests extends StandIns {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@ParameterizedTest
	@CsvSource({ "/, 200", "/api/books, 200", "/no-such-page, 404", "/orders/not-an-id, 404" })
	void sendsEachResponseWholeWithItsLength(String path, int status) throws Exception {
		resetStandIns();
		HttpResponse<byte[]> response = this.http
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
				.header("Accept", "text/html,*/*")
				.build(), BodyHandlers.ofByteArray());
		assertThat(response.statusCode()).isEqualTo(status);
		assertThat(response.body()).isNotEmpty();
		assertThat(response.headers().firstValue("Transfer-Encoding")).isEmpty();
		assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(response.body().length);
	}

}
