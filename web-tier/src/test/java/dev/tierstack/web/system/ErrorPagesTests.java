package dev.tierstack.web.system;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error pages are rendered by the servlet container's error dispatch, so they are tested
 * against the running server.
 */
@WebTierOverStandIns
class ErrorPagesTests extends StandIns {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@BeforeEach
	void appTier() {
		resetStandIns();
	}

	@Test
	void unknownPagesAndBooksGetTheFriendly404Page() throws Exception {
		for (String path : new String[] { "/no/such/page", "/books/123" }) {
			HttpResponse<String> page = get(path);
			assertThat(page.statusCode()).as(path).isEqualTo(404);
			assertThat(page.body()).as(path)
				.contains("We could not find that")
				.contains("web-test")
				.doesNotContain("Whitelabel");
		}
	}

	@Test
	void badRequestsGetTheFriendly4xxPage() throws Exception {
		HttpResponse<String> page = get("/?page=first");
		assertThat(page.statusCode()).isEqualTo(400);
		assertThat(page.body()).contains("That request did not work").doesNotContain("Exception");
	}

	@Test
	void whatTheAppTierRefusesAsInvalidGetsThe4xxPage() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 400,
				"{\"type\":\"urn:tierstack:problem:validation\",\"status\":400}")));
		HttpResponse<String> page = get("/?q=%01&page=1000001");
		assertThat(page.statusCode()).isEqualTo(400);
		assertThat(page.body()).contains("That request did not work").doesNotContain("Exception");
	}

	@Test
	void unexpectedAppTierAnswersGetThe5xxPage() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 500, "{}")));
		HttpResponse<String> page = get("/");
		assertThat(page.statusCode()).isEqualTo(502);
		assertThat(page.body()).contains("Something went wrong on our side").doesNotContain("Exception");
	}

	private HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept", "text/html")
			.build(), BodyHandlers.ofString());
	}

}
