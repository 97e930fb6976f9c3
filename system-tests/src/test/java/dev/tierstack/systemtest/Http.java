package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.awaitility.Awaitility.await;

/**
 * The JDK's HTTP client against the stack: HTTP/1.1 with keep-alive, like a browser,
 * trusting the stack's local CA ({@code secrets/tls/ca.crt}) and nothing else.
 */
final class Http {

	static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

	static final JsonMapper JSON = JsonMapper.builder().build();

	private static final SecureRandom RANDOM = new SecureRandom();

	private Http() {
	}

	static HttpClient client() {
		return client(HttpClient.Version.HTTP_1_1);
	}

	static HttpClient client(HttpClient.Version version) {
		return builder().version(version).build();
	}

	/** A client that trusts the local CA and follows no redirect, to be completed. */
	static HttpClient.Builder builder() {
		return HttpClient.newBuilder()
			.sslContext(trustingTheLocalCa())
			.connectTimeout(Duration.ofSeconds(2))
			.followRedirects(HttpClient.Redirect.NEVER);
	}

	/**
	 * TLS that trusts the certificate authority {@code scripts/generate-secrets.sh} made.
	 */
	static SSLContext trustingTheLocalCa() {
		Path ca = ComposeStack.repositoryRoot().resolve("secrets/tls/ca.crt");
		try (InputStream in = Files.newInputStream(ca)) {
			KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
			trusted.load(null, null);
			trusted.setCertificateEntry("tierstack-ca",
					CertificateFactory.getInstance("X.509").generateCertificate(in));
			TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
			trust.init(trusted);
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(null, trust.getTrustManagers(), null);
			return context;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("the local CA (scripts/generate-secrets.sh writes it): " + ca, ex);
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** A new W3C trace id: 16 random bytes in hex. */
	static String newTraceId() {
		return randomHex(16);
	}

	/**
	 * A W3C {@code traceparent} for a new span of a trace, sampled (flags 01): the stack
	 * traces the request whatever share of requests it samples.
	 */
	static String sampledTraceparent(String traceId) {
		return "00-" + traceId + "-" + randomHex(8) + "-01";
	}

	private static String randomHex(int bytes) {
		byte[] random = new byte[bytes];
		RANDOM.nextBytes(random);
		return HexFormat.of().formatHex(random);
	}

	static HttpRequest.Builder request(String base, String path) {
		return HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT);
	}

	static HttpResponse<String> get(HttpClient client, String base, String path) {
		return send(client, request(base, path).GET().build());
	}

	/**
	 * As {@link #get}, for a check that reads many things one after another: a 429 (this
	 * address over the load balancers' limit per client) is asked again after its
	 * {@code Retry-After}, as a well-behaved client does, up to five times.
	 */
	static HttpResponse<String> getPolitely(HttpClient client, String base, String path) {
		HttpResponse<String> response = get(client, base, path);
		for (int attempt = 1; response.statusCode() == 429 && attempt < 5; attempt++) {
			ComposeStack.sleep(Duration.ofSeconds(response.headers().firstValueAsLong("Retry-After").orElse(1)));
			response = get(client, base, path);
		}
		return response;
	}

	static HttpResponse<String> send(HttpClient client, HttpRequest request) {
		try {
			return client.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(request.method() + " " + request.uri() + ": " + ex, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Waits until none of the load balancers answers this client 429 any more: a burst
	 * over the rate limit leaves counts (shared by both nodes) that decay over the next
	 * seconds, and the next test must not start under them.
	 */
	static void awaitNotRateLimited(HttpClient client, String... bases) {
		await("no longer rate-limited").atMost(Duration.ofSeconds(25))
			.pollInterval(Duration.ofMillis(500))
			.until(() -> Arrays.stream(bases)
				.allMatch((base) -> get(client, base, "/api/books?size=1").statusCode() != 429));
	}

	static JsonNode json(HttpResponse<String> response) {
		return JSON.readTree(response.body());
	}

	/**
	 * ISBNs of books in stock from the first catalog page(s): targets for reads and
	 * orders.
	 */
	static List<String> isbnsInStock(HttpClient client, String base, int wanted) {
		List<String> isbns = new ArrayList<>();
		for (int page = 0; isbns.size() < wanted && page < 20; page++) {
			HttpResponse<String> response = get(client, base, "/api/books?size=100&page=" + page);
			if (response.statusCode() != 200) {
				throw new IllegalStateException(
						"catalog page " + page + ": " + response.statusCode() + " " + response.body());
			}
			for (JsonNode book : json(response).get("content")) {
				if (book.get("stock").asInt() >= 50 && isbns.size() < wanted) {
					isbns.add(book.get("isbn").asString());
				}
			}
		}
		return isbns;
	}

}
