package dev.tierstack.support.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A stand-in for a Zipkin server: a JDK HTTP server on a loopback port that takes the
 * spans posted to it (JSON v2, as the tiers send them) and keeps them for a test to read.
 */
public final class ZipkinStandIn implements AutoCloseable {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpServer server;

	private final List<Span> spans = new CopyOnWriteArrayList<>();

	private ZipkinStandIn(HttpServer server) {
		this.server = server;
	}

	/** One span as Zipkin stores it. */
	public record Span(String traceId, @Nullable String parentId, String id, @Nullable String kind, String name,
			String serviceName, Map<String, String> tags) {

		public @Nullable String tag(String name) {
			return this.tags.get(name);
		}

	}

	public static ZipkinStandIn start() {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
			ZipkinStandIn zipkin = new ZipkinStandIn(server);
			server.createContext("/api/v2/spans", zipkin::receive);
			server.start();
			return zipkin;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Where the spans go ({@code ZIPKIN_ENDPOINT}).
	 * @return the endpoint's URL
	 */
	public String endpoint() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/api/v2/spans";
	}

	public List<Span> spans() {
		return List.copyOf(this.spans);
	}

	/**
	 * The spans of a trace, once they satisfy the test or after 10 s (spans leave a node
	 * about once a second, in batches), whatever has come by then.
	 * @param traceId the trace
	 * @param complete whether the spans that came are all the test waits for
	 * @return the trace's spans
	 */
	public List<Span> trace(String traceId, Predicate<List<Span>> complete) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		List<Span> trace;
		do {
			trace = this.spans.stream().filter((span) -> span.traceId().equals(traceId)).toList();
			if (complete.test(trace)) {
				return trace;
			}
			Thread.sleep(100);
		}
		while (System.nanoTime() < deadline);
		return trace;
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

	private void receive(HttpExchange exchange) throws IOException {
		try (exchange) {
			InputStream body = exchange.getRequestBody();
			if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
				body = new GZIPInputStream(body);
			}
			for (JsonNode span : JSON.readTree(body.readAllBytes())) {
				Map<String, String> tags = new LinkedHashMap<>();
				span.path("tags").properties().forEach((tag) -> tags.put(tag.getKey(), tag.getValue().asString()));
				this.spans.add(new Span(span.path("traceId").asString(), text(span.get("parentId")),
						span.path("id").asString(), text(span.get("kind")), span.path("name").asString(),
						span.path("localEndpoint").path("serviceName").asString(), tags));
			}
			exchange.sendResponseHeaders(202, -1);
		}
	}

	private static @Nullable String text(@Nullable JsonNode node) {
		return (node != null) ? node.asString() : null;
	}

}
