package dev.tierstack.app;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpHeaders;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import javax.net.ssl.SSLSession;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP client for the app on its random port (the JDK's, so nothing of Spring's
 * client side can hide a server behaviour).
 */
public final class Api {

	private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final String base;

	public Api(int port) {
		this.base = "http://localhost:" + port;
	}

	public HttpResponse<String> get(String path, String... headers) {
		return send(request(path, headers).GET().build());
	}

	public HttpResponse<String> postJson(String path, String body, String... headers) {
		return post(path, "application/json", body, headers);
	}

	public HttpResponse<String> post(String path, String contentType, String body, String... headers) {
		HttpRequest.Builder request = request(path, headers)
			.POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
		if (contentType != null) {
			request.header("Content-Type", contentType);
		}
		return send(request.build());
	}

	/**
	 * A body of unknown length: sent chunked, with no Content-Length to check up front.
	 */
	public HttpResponse<String> postChunked(String path, String body, String... headers) {
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		return send(request(path, headers).header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
			.build());
	}

	/**
	 * A GET of a path taken as is, also one that {@link URI} refuses (broken
	 * percent-encoding, say): what a careless client can send.
	 */
	public HttpResponse<String> rawGet(String path) {
		try {
			HttpURLConnection connection = (HttpURLConnection) new URL(this.base + path).openConnection();
			connection.setConnectTimeout(5000);
			connection.setReadTimeout(30000);
			int status = connection.getResponseCode();
			InputStream stream = (status >= 400) ? connection.getErrorStream() : connection.getInputStream();
			String body = (stream != null) ? new String(stream.readAllBytes(), StandardCharsets.UTF_8) : "";
			Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
			connection.getHeaderFields().forEach((name, values) -> {
				if (name != null) {
					headers.put(name, values);
				}
			});
			return new RawResponse(status, HttpHeaders.of(headers, (name, value) -> true), body, URI.create(this.base));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private record RawResponse(int statusCode, HttpHeaders headers, String body,
			URI uri) implements HttpResponse<String> {

		@Override
		public HttpRequest request() {
			return HttpRequest.newBuilder(this.uri).build();
		}

		@Override
		public Optional<HttpResponse<String>> previousResponse() {
			return Optional.empty();
		}

		@Override
		public Optional<SSLSession> sslSession() {
			return Optional.empty();
		}

		@Override
		public HttpClient.Version version() {
			return HttpClient.Version.HTTP_1_1;
		}

	}

	public HttpResponse<String> send(String method, String path, String... headers) {
		return send(request(path, headers).method(method, HttpRequest.BodyPublishers.noBody()).build());
	}

	private HttpRequest.Builder request(String path, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path))
			.timeout(Duration.ofSeconds(30));
		if (headers.length > 0) {
			request.headers(headers);
		}
		return request;
	}

	private static HttpResponse<String> send(HttpRequest request) {
		try {
			return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	public static JsonNode json(HttpResponse<String> response) {
		return JSON.readTree(response.body());
	}

}
