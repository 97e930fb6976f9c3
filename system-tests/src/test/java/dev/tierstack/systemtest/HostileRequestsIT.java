package dev.tierstack.systemtest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.CookieManager;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that breaks the rules on purpose, through the VIP over HTTPS and plain HTTP:
 * request smuggling, sizes, slow and idle connections, path tricks, methods, malformed
 * encodings and JSON, idempotency races at the stock boundary, another client's key,
 * CSRF. Every case asserts the status, the format of the error (problem+json on
 * {@code /api}, a page of the site elsewhere) and that no order, order line or stock
 * figure changed that should not have.
 * <p>
 * The requests are written byte for byte on a socket of their own: a client library would
 * refuse to send most of them. How many overloaded or slow clients do to others is
 * {@link HostileClientsIT}'s part.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileRequestsIT {

	private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(12);

	private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.[01] (\\d{3})");

	private static final Pattern CONTENT_TYPE = Pattern.compile("(?im)^content-type:\\s*([^;\\r\\n]+)");

	private static final Pattern CSRF_TOKEN = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

	private static ComposeStack stack;

	private static DatabaseCluster database;

	private static HttpClient http;

	private static String isbn;

	/** Where the answer comes from, and so its format. */
	enum Format {

		/**
		 * {@code application/problem+json} with a {@code urn:tierstack:problem:} type.
		 */
		PROBLEM,

		/** A page of the site: HTML with the site's error block. */
		PAGE,

		/**
		 * HAProxy's built-in page, for a request it cannot parse or whose head never
		 * ends: its H1 multiplexer answers before any rule or {@code errorfile} applies
		 * (haproxy/haproxy#3032, fixed in 3.2; Debian bookworm has 2.6).
		 */
		PARSER,

		/** No requirement on the body (a success, a redirect, a HEAD). */
		ANY

	}

	/**
	 * One hostile request.
	 *
	 * @param category what it tries
	 * @param name what it is
	 * @param request the bytes, {@code {host}} and {@code {isbn}} filled in
	 * @param statuses the statuses it may get over HTTPS (0: none)
	 * @param format the format of that answer
	 * @param framing whether HAProxy's parser refuses it before any rule, so that plain
	 * HTTP gets the same answer instead of the redirect to HTTPS
	 */
	record Case(String category, String name, String request, Set<Integer> statuses, Format format, boolean framing) {

		Case refusedByTheParser() {
			return new Case(this.category, this.name, this.request, this.statuses, this.format, true);
		}

	}

	record Answer(List<Integer> statuses, String headers, String body, long millis) {

		int first() {
			return this.statuses.isEmpty() ? 0 : this.statuses.get(0);
		}

		String contentType() {
			Matcher type = CONTENT_TYPE.matcher(this.headers);
			return type.find() ? type.group(1).trim().toLowerCase() : "";
		}

		boolean in(Format format) {
			return switch (format) {
				case PROBLEM -> contentType().equals("application/problem+json")
						&& this.body.contains("\"type\":\"urn:tierstack:problem:");
				case PAGE -> contentType().equals("text/html") && this.body.contains("class=\"problem\"");
				case PARSER -> contentType().equals("text/html") && this.body.startsWith("<html><body><h1>");
				case ANY -> true;
			};
		}

	}

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		database = new DatabaseCluster(stack);
		http = Http.client();
		isbn = Http.isbnsInStock(http, stack.vipUrl(), 1).get(0);
	}

	/**
	 * Every case over HTTPS, one at a time, with the rows counted before and after each.
	 */
	@Test
	@Order(1)
	void everyCaseOverHttps() {
		Map<String, Object> outcomes = new LinkedHashMap<>();
		SoftAssertions softly = new SoftAssertions();
		int passed = 0;
		for (Case hostile : cases()) {
			String before = database.ordersLinesAndStock();
			Answer answer = exchange(true, hostile.request());
			String after = database.ordersLinesAndStock();
			boolean ok = hostile.statuses().contains(answer.first()) && answer.in(hostile.format())
					&& answer.statuses().stream().allMatch((status) -> status < 500) && before.equals(after);
			passed += ok ? 1 : 0;
			outcomes.put(hostile.category() + ": " + hostile.name(), answer.statuses() + " " + answer.contentType()
					+ " " + answer.millis() + " ms" + (before.equals(after) ? "" : " rows " + before + " -> " + after));
			softly.assertThat(ok)
				.as("%s: %s -> %s %s (expected %s %s), rows %s -> %s, body: %s", hostile.category(), hostile.name(),
						answer.statuses(), answer.contentType(), hostile.statuses(), hostile.format(), before, after,
						abbreviate(answer.body()))
				.isTrue();
		}
		record(softly, "hostile-requests-https", outcomes, passed);
	}

	/**
	 * The same cases over plain HTTP: what HAProxy can read as a request is redirected to
	 * HTTPS (308) and goes no further; what it cannot is refused as over HTTPS.
	 */
	@Test
	@Order(2)
	void everyCaseOverPlainHttp() {
		Map<String, Object> outcomes = new LinkedHashMap<>();
		SoftAssertions softly = new SoftAssertions();
		String before = database.ordersLinesAndStock();
		int passed = 0;
		for (Case hostile : cases()) {
			Answer answer = exchange(false, hostile.request());
			Set<Integer> expected = hostile.framing() ? hostile.statuses() : Set.of(308);
			boolean ok = expected.contains(answer.first()) && (!hostile.framing() || answer.in(hostile.format()));
			passed += ok ? 1 : 0;
			outcomes.put(hostile.category() + ": " + hostile.name(), answer.statuses() + " " + answer.contentType());
			softly.assertThat(ok)
				.as("%s: %s over HTTP -> %s (expected %s)", hostile.category(), hostile.name(), answer.statuses(),
						expected)
				.isTrue();
		}
		softly.assertThat(database.ordersLinesAndStock()).as("rows").isEqualTo(before);
		record(softly, "hostile-requests-http", outcomes, passed);
	}

	/**
	 * Slow and idle clients, at once (each takes the load balancer's 5 s): a request line
	 * that never ends, headers a byte at a time, a body that stops short, a connection
	 * that says nothing.
	 */
	@Test
	@Order(3)
	void slowAndIdleConnectionsAreCutOffAtTheLoadBalancer() throws Exception {
		String before = database.ordersLinesAndStock();
		Map<String, Callable<Answer>> clients = new LinkedHashMap<>();
		clients.put("a request line that never ends", () -> trickle("GET /api/books?q=", "a", 20));
		clients.put("headers a byte a second",
				() -> trickle("GET / HTTP/1.1\r\nHost: " + stack.vip() + "\r\nX-Slow: ", "b", 20));
		clients.put("a body that stops short",
				() -> trickle("POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Idempotency-Key: slow-" + UUID.randomUUID() + "\r\nContent-Length: 200\r\n\r\n{\"lines\":[",
						" ", 20));
		clients.put("an idle connection", () -> trickle("", "", 0));
		Map<String, Answer> answers = Concurrently.run(clients);
		Map<String, Object> outcomes = new LinkedHashMap<>();
		answers.forEach((name, answer) -> outcomes.put(name,
				answer.statuses() + " " + answer.contentType() + " after " + answer.millis() + " ms"));
		SoftAssertions softly = new SoftAssertions();
		answers.forEach((name, answer) -> {
			softly.assertThat(answer.millis()).as(name + ": cut off within 7 s").isLessThan(7000);
			if (name.equals("an idle connection")) {
				softly.assertThat(answer.statuses()).as(name).isIn(List.of(), List.of(408));
			}
			else {
				softly.assertThat(answer.statuses()).as(name).containsExactly(408);
				// A request whose head is whole is answered in its format (an order on
				// /api: a problem document); one whose head never ends, by the parser.
				Format format = name.equals("a body that stops short") ? Format.PROBLEM : Format.PARSER;
				softly.assertThat(answer.in(format)).as(name + ": " + format).isTrue();
			}
		});
		softly.assertThat(database.ordersLinesAndStock()).as("rows").isEqualTo(before);
		record(softly, "hostile-slow-connections", outcomes,
				(int) answers.values()
					.stream()
					.filter((answer) -> answer.millis() < 7000 && answer.statuses().stream().allMatch((s) -> s == 408))
					.count());
	}

	/**
	 * Eight copies of one order (one key, one body) at once, for every copy left of a
	 * book: each gets the order (201), one order is stored, the stock goes to zero, once.
	 * Then eight orders with keys of their own for three copies each of a book with ten:
	 * three are placed, five are refused (409), and the stock ends at one, never below.
	 */
	@Test
	@Order(4)
	void racesAtTheStockBoundary() throws Exception {
		List<String> books = Http.isbnsInStock(http, stack.vipUrl(), 30);
		String sameKeyBook = books.get(books.size() - 1);
		int stock = stock(sameKeyBook);
		String key = "race-" + UUID.randomUUID();
		String body = "{\"lines\":[{\"isbn\":\"" + sameKeyBook + "\",\"quantity\":" + Math.min(stock, 1000) + "}]}";
		String before = database.ordersLinesAndStock();
		List<HttpResponse<String>> copies = all(8, (i) -> postOrder(key, body));
		Map<String, Object> outcomes = new LinkedHashMap<>();
		outcomes.put("same key: statuses", copies.stream().map(HttpResponse::statusCode).toList());
		outcomes.put("same key: replayed",
				copies.stream().filter((r) -> r.headers().firstValue("Idempotency-Replayed").isPresent()).count());
		outcomes.put("same key: orders stored", database.countOrders(key));
		outcomes.put("same key: stock before / after", stock + " / " + stock(sameKeyBook));
		assertThat(copies).allSatisfy((response) -> assertThat(response.statusCode()).isEqualTo(201));
		assertThat(copies.stream().map((r) -> r.headers().firstValue("Location").orElseThrow()).distinct()).hasSize(1);
		assertThat(database.countOrders(key)).isEqualTo(1);
		assertThat(stock(sameKeyBook)).isEqualTo(stock - Math.min(stock, 1000));

		String boundaryBook = books.get(books.size() - 2);
		int boundaryStock = stock(boundaryBook);
		String prefix = "boundary-" + UUID.randomUUID() + "-";
		String takeAllButTen = "{\"lines\":[{\"isbn\":\"" + boundaryBook + "\",\"quantity\":" + (boundaryStock - 10)
				+ "}]}";
		assertThat(postOrder(prefix + "setup", takeAllButTen).statusCode()).isEqualTo(201);
		String three = "{\"lines\":[{\"isbn\":\"" + boundaryBook + "\",\"quantity\":3}]}";
		List<HttpResponse<String>> rivals = all(8, (i) -> postOrder(prefix + i, three));
		Map<Integer, Long> statuses = rivals.stream()
			.collect(Collectors.groupingBy(HttpResponse::statusCode, TreeMap::new, Collectors.counting()));
		outcomes.put("rival keys: statuses", statuses);
		outcomes.put("rival keys: stock left", stock(boundaryBook));
		outcomes.put("rows before / after", before + " / " + database.ordersLinesAndStock());
		Results.of("hostile-stock-races").put("outcomes", outcomes).write();
		assertThat(statuses).isEqualTo(Map.of(201, 3L, 409, 5L));
		assertThat(rivals.stream().filter((r) -> r.statusCode() == 409))
			.allSatisfy((response) -> assertProblem(response, "insufficient-stock"));
		assertThat(stock(boundaryBook)).isEqualTo(1);
		assertThat(database.countOrders(prefix)).isEqualTo(4);
	}

	/**
	 * One client's key sent by another client with another body is refused (422) and
	 * writes nothing; with the same body it is the same order, replayed, not a second
	 * one.
	 */
	@Test
	@Order(5)
	void anotherClientsKey() {
		String key = "shared-" + UUID.randomUUID();
		String mine = "{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":1}]}";
		HttpResponse<String> first = postOrder(key, mine);
		assertThat(first.statusCode()).isEqualTo(201);
		String before = database.ordersLinesAndStock();
		HttpClient other = Http.client();
		HttpResponse<String> theirs = Http.send(other,
				orderRequest(key, "{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":2}]}"));
		assertProblem(theirs, "idempotency-key-reuse");
		assertThat(theirs.statusCode()).isEqualTo(422);
		HttpResponse<String> replay = Http.send(other, orderRequest(key, mine));
		assertThat(replay.statusCode()).isEqualTo(201);
		assertThat(replay.headers().firstValue("Idempotency-Replayed")).hasValue("true");
		assertThat(replay.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
		assertThat(database.ordersLinesAndStock()).isEqualTo(before);
		assertThat(database.countOrders(key)).isEqualTo(1);
	}

	/**
	 * The order form: without the CSRF token, with another session's, or with a token and
	 * a body that is not a form, nothing is ordered and the answer is a page.
	 */
	@Test
	@Order(6)
	void ordersFromThePagesNeedTheirSessionsToken() {
		Session mine = Session.open();
		Session theirs = Session.open();
		String form = "isbn=" + isbn + "&quantity=1&idempotencyKey=" + UUID.randomUUID();
		String before = database.ordersLinesAndStock();
		Map<String, HttpResponse<String>> answers = new LinkedHashMap<>();
		answers.put("no token", mine.post(form));
		answers.put("another session's token", mine.post(form + "&_csrf=" + theirs.token));
		answers.put("token in a cookie only, no session",
				Session.anonymous().post(form + "&_csrf=" + mine.token, "XSRF-TOKEN=" + mine.token));
		answers.put("a broken percent-encoding", mine.post("_csrf=" + mine.token + "&isbn=%zz&quantity=1"));
		answers.put("quantity not a number", mine.post("_csrf=" + mine.token + "&isbn=" + isbn + "&quantity=two"));
		Map<String, Object> outcomes = new LinkedHashMap<>();
		answers.forEach((name, answer) -> outcomes.put(name,
				answer.statusCode() + " " + answer.headers().firstValue("Content-Type").orElse("")));
		outcomes.put("rows before / after", before + " / " + database.ordersLinesAndStock());
		Results.of("hostile-csrf").put("outcomes", outcomes).write();
		SoftAssertions softly = new SoftAssertions();
		for (String name : List.of("no token", "another session's token", "token in a cookie only, no session")) {
			softly.assertThat(answers.get(name).statusCode()).as(name).isEqualTo(403);
		}
		softly.assertThat(answers.get("a broken percent-encoding").statusCode()).as("broken encoding").isEqualTo(400);
		softly.assertThat(answers.get("quantity not a number").statusCode()).as("quantity").isIn(400, 422);
		answers.forEach((name, answer) -> softly.assertThat(answer.body()).as(name).contains("<html"));
		softly.assertThat(database.ordersLinesAndStock()).as("rows").isEqualTo(before);
		softly.assertAll();
	}

	/** The table of single requests that {@link #everyCaseOverHttps()} runs. */
	static List<Case> cases() {
		List<Case> cases = new ArrayList<>();
		String json = "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":1}]}";
		// Request smuggling: a request whose length two readers could read two ways.
		String smuggled = "GET /actuator/health HTTP/1.1\r\nHost: {host}\r\n\r\n";
		cases.add(edge("smuggling", "Content-Length and Transfer-Encoding (CL.TE)",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"
						+ smuggled,
				Set.of(400), Format.PROBLEM, false));
		cases.add(edge("smuggling", "Transfer-Encoding and Content-Length (TE.CL)",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
						+ Integer.toHexString(fill(smuggled).length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n",
				Set.of(400), Format.PROBLEM, false));
		cases.add(edge("smuggling", "two Content-Length headers that differ",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Content-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}" + smuggled,
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a Content-Length list",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Content-Length: 2, 40\r\nConnection: close\r\n\r\n{}" + smuggled,
				Set.of(400), Format.PARSER, true));
		cases.add(
				edge("smuggling", "a signed Content-Length",
						"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
								+ "Content-Length: +2\r\nConnection: close\r\n\r\n{}",
						Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a Content-Length that is not a number",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0x2\r\nConnection: close\r\n\r\n{}",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "an unknown transfer coding",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: xchunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "chunked, then another coding",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked, identity\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a space before the colon of Transfer-Encoding",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding : chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a chunk size that is not hexadecimal",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a chunk size that overflows 64 bits",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n10000000000000002\r\n{}\r\n0\r\n\r\n",
				Set.of(400), Format.PARSER, true));
		cases.add(edge("smuggling", "a header folded over two lines",
				"GET /api/books HTTP/1.1\r\nHost: {host}\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n",
				Set.of(200), Format.ANY, false));
		cases.add(edge("smuggling", "a NUL byte in a header",
				"GET /api/books HTTP/1.1\r\nHost: {host}\r\nX-Nul: a\0b\r\nConnection: close\r\n\r\n", Set.of(400),
				Format.PROBLEM, false));
		cases.add(edge("smuggling", "a body on a GET that is a request of its own",
				"GET /api/books?size=1 HTTP/1.1\r\nHost: {host}\r\nContent-Length: " + fill(smuggled).length()
						+ "\r\nConnection: close\r\n\r\n" + smuggled,
				Set.of(200), Format.ANY, false));
		cases.add(edge("smuggling", "a second request pipelined to the management path",
				"GET /api/books?size=1 HTTP/1.1\r\nHost: {host}\r\n\r\n"
						+ "GET /actuator/env HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
				Set.of(200), Format.ANY, false));
		// Sizes.
		cases.add(get("sizes", "a header of 20 KB", "/", "X-Big: " + "a".repeat(20_000)).framingAs(Set.of(400),
				Format.PARSER));
		cases.add(get("sizes", "a cookie of 12 KB on /api", "/api/books", "Cookie: c=" + "a".repeat(12_000))
			.as(Set.of(400, 431), Format.PROBLEM));
		cases.add(get("sizes", "120 header lines", "/api/books",
				IntStream.range(0, 120).mapToObj((i) -> "X-H" + i + ": v").collect(Collectors.joining("\r\n")))
			.framingAs(Set.of(400), Format.PARSER));
		cases.add(get("sizes", "a URI of 10,000 characters", "/?q=" + "a".repeat(10_000)).as(Set.of(414), Format.PAGE));
		cases.add(get("sizes", "a URI of 10,000 characters on /api", "/api/books?q=" + "a".repeat(10_000))
			.as(Set.of(414), Format.PROBLEM));
		cases.add(get("sizes", "a URI of 20,000 characters", "/?q=" + "a".repeat(20_000)).framingAs(Set.of(400),
				Format.PARSER));
		cases.add(post("sizes", "a body declared at 8,193 bytes on /api", "/api/orders",
				"Content-Type: application/json\r\nContent-Length: 8193", "")
			.as(Set.of(413), Format.PROBLEM));
		cases.add(post("sizes", "a body declared at 8,193 bytes on a page", "/orders",
				"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 8193", "")
			.as(Set.of(413), Format.PAGE));
		cases.add(post("sizes", "a body declared at a terabyte", "/api/orders",
				"Content-Type: application/json\r\nContent-Length: 1099511627776", "")
			.as(Set.of(413), Format.PROBLEM));
		cases.add(edge("sizes", "a chunked body over 8,192 bytes",
				"POST /api/orders HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
						+ "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2400\r\n" + "a".repeat(0x2400)
						+ "\r\n0\r\n\r\n",
				Set.of(413), Format.PROBLEM, false));
		cases.add(post("sizes", "an empty order", "/api/orders", "Content-Type: application/json", "").as(Set.of(400),
				Format.PROBLEM));
		// Paths: what must stay inside, reached by another spelling.
		cases.add(get("paths", "the management path", "/actuator/health").as(Set.of(404), Format.PAGE));
		cases.add(
				get("paths", "the management path under /api", "/api/actuator/health").as(Set.of(404), Format.PROBLEM));
		cases.add(
				get("paths", "the management path percent-encoded", "/%61ctuator/health").as(Set.of(404), Format.PAGE));
		cases.add(get("paths", "the management path in upper case", "/ACTUATOR/health").as(Set.of(404), Format.PAGE));
		cases.add(get("paths", "dot segments to the management path", "/api/../actuator/env").as(Set.of(404),
				Format.PROBLEM));
		cases.add(get("paths", "encoded dot segments to the management path", "/api/books/%2e%2e/%2e%2e/actuator/env")
			.as(Set.of(404), Format.PROBLEM));
		cases.add(get("paths", "encoded slashes", "/api/books/..%2f..%2fbooks").as(Set.of(400), Format.PROBLEM));
		cases.add(get("paths", "encoded backslashes", "/api/books/%5c..%5c..%5cbooks").as(Set.of(400), Format.PROBLEM));
		cases.add(get("paths", "out of the static files", "/css/..%2f..%2f..%2fetc%2fpasswd").as(Set.of(400),
				Format.PAGE));
		cases.add(
				get("paths", "dot segments out of the root", "/../../../etc/passwd").as(Set.of(400, 404), Format.PAGE));
		cases.add(get("paths", "an encoded NUL", "/api/books/%00").as(Set.of(400), Format.PROBLEM));
		cases.add(get("paths", "a path parameter", "/api/books;jsessionid=x").as(Set.of(400), Format.PROBLEM));
		cases.add(get("paths", "an asterisk target", "*").as(Set.of(400), Format.PAGE));
		cases.add(get("paths", "a target that is not a path", "api/books").framingAs(Set.of(400), Format.PARSER));
		cases.add(get("paths", "/api in upper case", "/API/books").as(Set.of(404), Format.PAGE));
		// Methods.
		cases.add(request("methods", "TRACE on a page", "TRACE", "/", "", null).as(Set.of(405), Format.PAGE));
		cases.add(request("methods", "TRACE on /api", "TRACE", "/api/books", "", null).as(Set.of(405), Format.PROBLEM));
		cases.add(request("methods", "DELETE an order", "DELETE", "/api/orders/1", "", null).as(Set.of(405),
				Format.PROBLEM));
		cases.add(request("methods", "PUT a book", "PUT", "/api/books/{isbn}", "Content-Type: application/json",
				"{\"price\":0}")
			.as(Set.of(405), Format.PROBLEM));
		cases.add(request("methods", "PATCH the orders", "PATCH", "/api/orders", "Content-Type: application/json", "{}")
			.as(Set.of(405), Format.PROBLEM));
		cases
			.add(request("methods", "POST to the catalog", "POST", "/api/books", "Content-Type: application/json", "{}")
				.as(Set.of(405), Format.PROBLEM));
		cases.add(request("methods", "DELETE a page", "DELETE", "/", "", null).as(Set.of(403, 405), Format.PAGE));
		cases.add(request("methods", "an unknown method", "BREW", "/api/books", "", null).as(Set.of(400, 405),
				Format.PROBLEM));
		cases.add(request("methods", "a method in lower case", "get", "/api/books", "", null).as(Set.of(400, 405),
				Format.PROBLEM));
		cases.add(request("methods", "CONNECT", "CONNECT", "{host}:443", "", null).as(Set.of(405), Format.PAGE));
		cases.add(request("methods", "an override header on POST", "POST", "/api/orders",
				"Content-Type: application/json\r\nX-HTTP-Method-Override: DELETE", "{}")
			.as(Set.of(400), Format.PROBLEM));
		cases
			.add(request("methods", "HEAD on /api", "HEAD", "/api/books?size=1", "", null).as(Set.of(200), Format.ANY));
		// Encodings in queries and forms.
		cases.add(get("encodings", "a lone percent sign", "/api/books?q=%").as(Set.of(400), Format.PROBLEM));
		cases.add(get("encodings", "a percent sign without hex digits", "/api/books?q=%zz").as(Set.of(400),
				Format.PROBLEM));
		cases.add(get("encodings", "a byte sequence that is not UTF-8", "/api/books?q=%C3%28").as(Set.of(400),
				Format.PROBLEM));
		cases.add(get("encodings", "a raw byte over 127", "/api/books?q=caf\u00e9").framingAs(Set.of(400),
				Format.PARSER));
		cases.add(get("encodings", "a broken percent-encoding on a page", "/?q=%zz").as(Set.of(400), Format.PAGE));
		cases.add(get("encodings", "a control character in a search", "/?q=%01").as(Set.of(200, 400), Format.ANY));
		cases.add(get("encodings", "a page number past the end", "/?page=1000001").as(Set.of(200, 400), Format.ANY));
		cases.add(get("encodings", "a negative page", "/api/books?page=-1").as(Set.of(400), Format.PROBLEM));
		cases.add(get("encodings", "a page size of 100,000", "/api/books?size=100000").as(Set.of(400), Format.PROBLEM));
		cases.add(get("encodings", "a page number of 20 digits", "/api/books?page=99999999999999999999").as(Set.of(400),
				Format.PROBLEM));
		cases.add(get("encodings", "a page number that is text", "/?page=two").as(Set.of(400), Format.PAGE));
		cases.add(post("encodings", "a form body with a broken percent-encoding on /api", "/api/orders",
				"Content-Type: application/x-www-form-urlencoded", "lines=%zz")
			.as(Set.of(415), Format.PROBLEM));
		// Malformed JSON and type confusion.
		cases.add(order("json", "an object left open", "{"));
		cases.add(order("json", "an array", "[]"));
		cases.add(order("json", "null", "null"));
		cases.add(order("json", "lines as a string", "{\"lines\":\"{isbn}\"}"));
		cases.add(order("json", "an ISBN as a number", "{\"lines\":[{\"isbn\":{isbn},\"quantity\":1}]}"));
		cases.add(order("json", "a quantity as a string", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":\"2\"}]}"));
		cases.add(order("json", "a fractional quantity", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":1.5}]}"));
		cases.add(order("json", "a negative quantity", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":-1}]}"));
		cases.add(order("json", "a quantity of zero", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":0}]}"));
		cases.add(order("json", "a quantity past 64 bits",
				"{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":9223372036854775808}]}"));
		cases.add(order("json", "a quantity of 1e400", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":1e400}]}"));
		cases.add(order("json", "a quantity as true", "{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":true}]}"));
		cases.add(order("json", "no lines", "{\"lines\":[]}"));
		cases.add(order("json", "21 lines",
				"{\"lines\":[" + IntStream.range(0, 21)
					.mapToObj((i) -> "{\"isbn\":\"{isbn}\",\"quantity\":1}")
					.collect(Collectors.joining(",")) + "]}"));
		cases.add(order("json", "a wrong ISBN check digit",
				"{\"lines\":[{\"isbn\":\"9780000000000\",\"quantity\":1}]}".replace("9780000000000", "9781900000018")));
		cases.add(order("json", "arrays nested 3,000 deep", "[".repeat(3000) + "]".repeat(3000)));
		cases
			.add(order("json", "bytes that are not UTF-8", "{\"lines\":[{\"isbn\":\"\u00ff\u00fe\",\"quantity\":1}]}"));
		cases.add(order("json", "the lines twice",
				"{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":1}],\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":2}]}"));
		cases.add(order("json", "a trailing second document", json + "{}"));
		cases.add(post("json", "an order as text/plain", "/api/orders", "Content-Type: text/plain", json)
			.as(Set.of(415), Format.PROBLEM));
		cases.add(
				post("json", "an order with no content type", "/api/orders", "", json).as(Set.of(415), Format.PROBLEM));
		cases.add(post("json", "an Idempotency-Key with spaces", "/api/orders",
				"Content-Type: application/json\r\nIdempotency-Key: a b c", json)
			.as(Set.of(400), Format.PROBLEM));
		cases.add(post("json", "an Idempotency-Key of 65 characters", "/api/orders",
				"Content-Type: application/json\r\nIdempotency-Key: " + "k".repeat(65), json)
			.as(Set.of(400), Format.PROBLEM));
		cases.add(order("json", "more copies than any stock",
				"{\"lines\":[{\"isbn\":\"{isbn}\",\"quantity\":1000000}]}"));
		return cases;
	}

	// --- the cases' shapes
	// ---------------------------------------------------------------

	/** A request that is written out whole. */
	private static Case edge(String category, String name, String request, Set<Integer> statuses, Format format,
			boolean framing) {
		return new Case(category, name, request, statuses, format, framing);
	}

	private static Draft get(String category, String name, String target, String... headers) {
		return request(category, name, "GET", target, String.join("\r\n", headers), null);
	}

	private static Draft post(String category, String name, String target, String headers, String body) {
		return request(category, name, "POST", target, headers, body);
	}

	private static Draft request(String category, String name, String method, String target, String headers,
			String body) {
		StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: {host}\r\n");
		if (!headers.isEmpty()) {
			request.append(headers).append("\r\n");
		}
		if (body != null && !headers.contains("Content-Length")) {
			request.append("Content-Length: ")
				.append(fill(body).getBytes(StandardCharsets.UTF_8).length)
				.append("\r\n");
		}
		request.append("Connection: close\r\n\r\n").append((body != null) ? body : "");
		return new Draft(category, name, request.toString());
	}

	/** An order the app tier must refuse as malformed: 400, problem+json. */
	private static Case order(String category, String name, String body) {
		return post(category, name, "/api/orders",
				"Content-Type: application/json\r\nIdempotency-Key: hostile-" + UUID.randomUUID(), body)
			.as(Set.of(400, 409, 422), Format.PROBLEM);
	}

	record Draft(String category, String name, String request) {

		Case as(Set<Integer> statuses, Format format) {
			return new Case(this.category, this.name, this.request, statuses, format, false);
		}

		Case framingAs(Set<Integer> statuses, Format format) {
			return as(statuses, format).refusedByTheParser();
		}

	}

	// --- the wire
	// ----------------------------------------------------------------------------

	private static String fill(String request) {
		return request.replace("{host}", stack.vip()).replace("{isbn}", isbn);
	}

	/** Writes the request on a new connection and reads until the server closes it. */
	private static Answer exchange(boolean tls, String request) {
		long start = System.nanoTime();
		try (Socket socket = connect(tls)) {
			OutputStream out = socket.getOutputStream();
			out.write(fill(request).getBytes(StandardCharsets.UTF_8));
			out.flush();
			return read(socket, start);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Sends {@code head}, then {@code unit} once a second for {@code units} seconds,
	 * until the server answers or closes (10 s at least), and reads what comes back.
	 */
	private static Answer trickle(String head, String unit, int units) throws IOException {
		long start = System.nanoTime();
		try (Socket socket = connect(true)) {
			OutputStream out = socket.getOutputStream();
			out.write(fill(head).getBytes(StandardCharsets.UTF_8));
			out.flush();
			socket.setSoTimeout(1000);
			InputStream in = socket.getInputStream();
			for (int second = 0; second < Math.max(units, 10); second++) {
				try {
					int first = in.read();
					if (first < 0) {
						return answer(new byte[0], start);
					}
					ByteArrayOutputStream received = new ByteArrayOutputStream();
					received.write(first);
					return answer(readRest(socket, in, received), start);
				}
				catch (SocketTimeoutException ex) {
					if (second < units) {
						out.write(unit.getBytes(StandardCharsets.UTF_8));
						out.flush();
					}
				}
			}
			return answer(new byte[0], start);
		}
	}

	private static byte[] readRest(Socket socket, InputStream in, ByteArrayOutputStream received) throws IOException {
		socket.setSoTimeout((int) ANSWER_TIMEOUT.toMillis());
		try {
			received.write(in.readAllBytes());
		}
		catch (SocketTimeoutException | SocketException ex) {
			// What came before the server stopped talking is the answer.
		}
		return received.toByteArray();
	}

	private static Socket connect(boolean tls) throws IOException {
		Socket plain = new Socket();
		plain.connect(new InetSocketAddress(stack.vip(), tls ? 443 : 80), 2000);
		plain.setSoTimeout((int) ANSWER_TIMEOUT.toMillis());
		if (!tls) {
			return plain;
		}
		return Http.trustingTheLocalCa().getSocketFactory().createSocket(plain, stack.vip(), 443, true);
	}

	private static Answer read(Socket socket, long start) throws IOException {
		return answer(readRest(socket, socket.getInputStream(), new ByteArrayOutputStream()), start);
	}

	private static Answer answer(byte[] bytes, long start) {
		String text = new String(bytes, StandardCharsets.ISO_8859_1);
		List<Integer> statuses = new ArrayList<>();
		Matcher status = STATUS_LINE.matcher(text);
		while (status.find()) {
			statuses.add(Integer.parseInt(status.group(1)));
		}
		int headerEnd = text.indexOf("\r\n\r\n");
		String headers = (headerEnd < 0) ? text : text.substring(0, headerEnd);
		String body = (headerEnd < 0) ? ""
				: new String(bytes, headerEnd + 4, bytes.length - headerEnd - 4, StandardCharsets.UTF_8);
		Matcher next = STATUS_LINE.matcher(body);
		if (next.find()) {
			body = body.substring(0, next.start());
		}
		return new Answer(statuses, headers, body, (System.nanoTime() - start) / 1_000_000);
	}

	// --- orders, stock and pages through a client library
	// -------------------------------------

	private static HttpRequest orderRequest(String key, String body) {
		return Http.request(stack.vipUrl(), "/api/orders")
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", key)
			.POST(BodyPublishers.ofString(body))
			.build();
	}

	private static HttpResponse<String> postOrder(String key, String body) {
		return Http.send(http, orderRequest(key, body));
	}

	private static int stock(String book) {
		return Http.json(Http.get(http, stack.vipUrl(), "/api/books/" + book)).get("stock").asInt();
	}

	private static void assertProblem(HttpResponse<String> response, String type) {
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = Http.json(response);
		assertThat(problem.get("type").asString()).isEqualTo("urn:tierstack:problem:" + type);
	}

	/** The same request from {@code count} threads released together. */
	private static <T> List<T> all(int count, IntFunction<T> request) throws Exception {
		Map<String, Callable<T>> tasks = new LinkedHashMap<>();
		CountDownLatch ready = new CountDownLatch(count);
		for (int i = 0; i < count; i++) {
			int index = i;
			tasks.put(String.valueOf(i), () -> {
				ready.countDown();
				ready.await();
				return request.apply(index);
			});
		}
		return new ArrayList<>(Concurrently.run(tasks).values());
	}

	/** A browser's session on the pages: its cookies and the CSRF token of its forms. */
	record Session(HttpClient client, String token) {

		static Session open() {
			HttpClient client = Http.builder().cookieHandler(new CookieManager()).build();
			HttpResponse<String> page = Http.get(client, stack.vipUrl(), "/books/" + isbn);
			Matcher token = CSRF_TOKEN.matcher(page.body());
			assertThat(token.find()).as("the order form's CSRF token").isTrue();
			return new Session(client, token.group(1));
		}

		static Session anonymous() {
			return new Session(Http.client(), "");
		}

		HttpResponse<String> post(String form, String... cookie) {
			HttpRequest.Builder request = Http.request(stack.vipUrl(), "/orders")
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(BodyPublishers.ofString(form));
			if (cookie.length > 0) {
				request.header("Cookie", cookie[0]);
			}
			return Http.send(this.client, request.build());
		}

	}

	private static String abbreviate(String body) {
		String flat = body.replaceAll("\\s+", " ");
		return (flat.length() > 300) ? flat.substring(0, 300) + "…" : flat;
	}

	private static void record(SoftAssertions softly, String name, Map<String, Object> outcomes, int passed) {
		Results.of(name).put("casesRun", outcomes.size()).put("casesPassed", passed).put("outcomes", outcomes).write();
		ComposeStack.log(name + ": " + passed + " of " + outcomes.size() + " cases passed");
		softly.assertAll();
	}

}
