package dev.tierstack.web.system;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

	/**
	 * A page's error is the site's page whatever the client accepts: Spring Boot's own
	 * error controller would answer JSON of its own shape to a client that does not ask
	 * for HTML.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "application/json", "*/*", "" })
	void pageErrorsArePagesWhateverTheClientAccepts(String accept) throws Exception {
		HttpRequest.Builder badPage = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/?page=x"));
		HttpRequest.Builder noCsrfToken = HttpRequest
			.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/orders"))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString("isbn=9781900000017&quantity=1"));
		for (HttpRequest.Builder request : List.of(badPage, noCsrfToken)) {
			if (!accept.isEmpty()) {
				request.header("Accept", accept);
			}
			HttpResponse<String> page = this.http.send(request.build(), BodyHandlers.ofString());
			assertThat(page.statusCode()).isIn(400, 403);
			assertThat(page.headers().firstValue("Content-Type"))
				.hasValueSatisfying((type) -> assertThat(type).startsWith("text/html"));
			assertThat(page.body()).contains("tierstack bookshop").doesNotContain("\"timestamp\"");
		}
	}

	/**
	 * What Tomcat refuses before the application (an encoded dot segment, slash or
	 * backslash, a malformed or overlong encoding, a request line over the limit), and a
	 * query that is not percent-encoded UTF-8 (which Tomcat would drop silently): the
	 * site's page, or a problem under {@code /api}, never Tomcat's own page.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "/books/%2e%2e", "/books/..%2f..%2fetc", "/books/%5C", "/books/%C0%AE", "/books/%FF",
			"/books/%3B", "/books?q=%", "/books?q=%zz", "/books?q=a%4", "/books?q=%C0%AE", "/books?q=%FF" })
	void requestsTomcatRefusesGetTheSitesPageOrAProblem(String path) throws Exception {
		Answer page = raw(path);
		assertThat(page.status()).isEqualTo(400);
		assertThat(page.contentType()).startsWith("text/html");
		assertThat(page.node()).isEqualTo("web-test");
		assertThat(page.body()).contains("That request did not work", "tierstack bookshop", "web-test")
			.doesNotContain("Tomcat", "HTTP Status");

		Answer problem = raw("/api" + path);
		assertThat(problem.status()).isEqualTo(400);
		assertThat(problem.contentType()).startsWith("application/problem+json");
		assertThat(problem.body()).contains("\"type\":\"urn:tierstack:problem:malformed-request\"")
			.doesNotContain("Tomcat");
		assertThat(ready()).allSatisfy((node) -> assertThat(node.received()).isEmpty());
	}

	@Test
	void aRequestLineOverTheLimitGetsTheSitesPage() throws Exception {
		HttpResponse<String> page = get("/?q=" + "a".repeat(20_000));
		assertThat(page.statusCode()).isBetween(400, 499);
		assertThat(page.body()).contains("That request did not work").doesNotContain("Tomcat");
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
	void anAppTierThatAnswers503GetsThe503PageWithItsRetryAfter() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> {
			exchange.getResponseHeaders().set("Retry-After", "1");
			self.json(exchange, 503, "{\"type\":\"urn:tierstack:problem:service-unavailable\",\"status\":503}");
		}));
		HttpResponse<String> page = get("/");
		assertThat(page.statusCode()).isEqualTo(503);
		assertThat(page.headers().firstValue("Retry-After")).hasValue("1");
		assertThat(page.body()).doesNotContain("Exception");
	}

	@Test
	void unexpectedAppTierAnswersGetThe5xxPage() throws Exception {
		ready().forEach((node) -> node.respondWith((self, exchange) -> self.json(exchange, 500, "{}")));
		HttpResponse<String> page = get("/");
		assertThat(page.statusCode()).isEqualTo(502);
		assertThat(page.body()).contains("Something went wrong on our side").doesNotContain("Exception");
	}

	/**
	 * A GET sent as written, over a socket: {@code java.net.URI} refuses a malformed
	 * escape, which is the point of some of these requests. The body is as it came (a
	 * chunked one with its chunk sizes).
	 */
	private Answer raw(String path) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(10_000);
			socket.getOutputStream()
				.write(("GET " + path
						+ " HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
					.getBytes(StandardCharsets.ISO_8859_1));
			String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			int end = response.indexOf("\r\n\r\n");
			List<String> head = List.of(response.substring(0, end).split("\r\n"));
			Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
			head.stream().skip(1).map((line) -> line.split(":\\s*", 2)).forEach((h) -> headers.put(h[0], h[1]));
			return new Answer(Integer.parseInt(head.get(0).split(" ")[1]), headers.get("Content-Type"),
					headers.get("X-Web-Node"), response.substring(end + 4));
		}
	}

	private record Answer(int status, String contentType, String node, String body) {
	}

	private HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept", "text/html")
			.build(), BodyHandlers.ofString());
	}

}
