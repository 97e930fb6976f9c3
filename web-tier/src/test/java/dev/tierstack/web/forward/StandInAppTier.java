package dev.tierstack.web.forward;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A stand-in for one app-tier instance: a JDK HTTP server on a loopback port that answers
 * its readiness endpoint, records every other request and answers it as the test says. It
 * can be stopped (connections are refused) and started again on the same port, answer
 * late, or hang (connections are accepted and requests read, but nothing is answered).
 */
public final class StandInAppTier {

	/** What the stand-in was sent. */
	public record Received(String method, String uri, Map<String, String> headers, byte[] body) {

		public String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

		public String bodyText() {
			return new String(this.body, StandardCharsets.UTF_8);
		}

	}

	/** How the stand-in answers a request other than a readiness probe. */
	@FunctionalInterface
	public interface Responder {

		void respond(StandInAppTier node, HttpExchange exchange) throws IOException;

	}

	private static final Responder BOOK_LIST = (node, exchange) -> node.json(exchange, 200,
			"{\"content\":[],\"page\":0,\"size\":20,\"totalElements\":0,\"totalPages\":0}");

	private final String name;

	private final int port;

	private final List<Received> received = new CopyOnWriteArrayList<>();

	private volatile HttpServer server;

	private volatile boolean ready = true;

	private volatile Responder responder = BOOK_LIST;

	private volatile Duration delay = Duration.ZERO;

	private volatile CountDownLatch hung = new CountDownLatch(0);

	private StandInAppTier(String name, int port) {
		this.name = name;
		this.port = port;
	}

	public static StandInAppTier start(String name) {
		HttpServer server = bind(0);
		StandInAppTier node = new StandInAppTier(name, server.getAddress().getPort());
		node.server = server;
		server.createContext("/", node::handle);
		server.start();
		return node;
	}

	public String name() {
		return this.name;
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + this.port;
	}

	public List<Received> received() {
		return List.copyOf(this.received);
	}

	public void ready(boolean ready) {
		this.ready = ready;
	}

	public void respondWith(Responder responder) {
		this.responder = responder;
	}

	/**
	 * Answers every request but the readiness endpoint only after a delay from now on,
	 * until reset: as a node that is slow (a cold JVM, a busy database).
	 * @param delay how long to wait before answering
	 */
	public void answerAfter(Duration delay) {
		this.delay = delay;
	}

	/**
	 * Answers nothing from now on, not even the readiness endpoint, until reset or
	 * stopped: as a node that hangs ({@code docker pause}) or has lost its database link.
	 */
	public void hang() {
		this.hung = new CountDownLatch(1);
	}

	/** Back to the starting state: running, ready, answering with an empty book list. */
	public synchronized void reset() {
		this.hung.countDown();
		this.received.clear();
		this.ready = true;
		this.responder = BOOK_LIST;
		this.delay = Duration.ZERO;
		if (this.server == null) {
			HttpServer server = bind(this.port);
			server.createContext("/", this::handle);
			server.start();
			this.server = server;
		}
	}

	public synchronized void stop() {
		this.hung.countDown();
		if (this.server != null) {
			this.server.stop(0);
			this.server = null;
		}
	}

	public void json(HttpExchange exchange, int status, String json) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		send(exchange, status, json);
	}

	public void send(HttpExchange exchange, int status, String body) throws IOException {
		exchange.getResponseHeaders().set("X-App-Node", this.name);
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		exchange.sendResponseHeaders(status, (bytes.length > 0) ? bytes.length : -1);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	private static HttpServer bind(int port) {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
			server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
			return server;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			byte[] body = exchange.getRequestBody().readAllBytes();
			if (exchange.getRequestURI().getPath().equals("/readyz")) {
				if (!held()) {
					send(exchange, this.ready ? 200 : 503,
							this.ready ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
				}
				return;
			}
			Map<String, String> headers = exchange.getRequestHeaders()
				.entrySet()
				.stream()
				.collect(Collectors.toMap((entry) -> entry.getKey().toLowerCase(Locale.ROOT),
						(entry) -> entry.getValue().get(0), (first, second) -> first));
			this.received.add(new Received(exchange.getRequestMethod(),
					exchange.getRequestURI().getRawPath() + ((exchange.getRequestURI().getRawQuery() != null)
							? "?" + exchange.getRequestURI().getRawQuery() : ""),
					headers, body));
			if (!held()) {
				sleep(this.delay);
				this.responder.respond(this, exchange);
			}
		}
	}

	private static void sleep(Duration duration) throws IOException {
		try {
			Thread.sleep(duration);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	// While hanging, holds the request until the hang ends, and then drops it unanswered.
	private boolean held() throws IOException {
		CountDownLatch hung = this.hung;
		if (hung.getCount() == 0) {
			return false;
		}
		try {
			hung.await();
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

}
