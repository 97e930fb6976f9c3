package dev.tierstack.app.system;

import java.net.http.HttpResponse;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import dev.tierstack.app.Api;
import dev.tierstack.app.AppIntegrationTest;
import dev.tierstack.app.TestBooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client mistakes against the running app: each is a 4xx problem (never a 500, never a
 * reset connection), carries the node and request id headers, names no Java type, and
 * writes nothing.
 */
@AppIntegrationTest
class BadInputIT {

	private static final String KEY = "Idempotency-Key";

	@LocalServerPort
	private int port;

	@Autowired
	private JdbcClient jdbc;

	private Api api;

	private TestBooks books;

	private String isbn;

	@BeforeEach
	void setUp() {
		this.api = new Api(this.port);
		this.books = new TestBooks(this.jdbc);
		this.isbn = this.books.insert("Bad Input Target", "Somebody", "5.00", 3);
	}

	/** A request, given the client and the ISBN of an existing book with 3 copies. */
	interface Call extends BiFunction<Api, String, HttpResponse<String>> {

	}

	private static Arguments bad(String name, int status, String type, Call call) {
		return Arguments.of(name, status, type, call);
	}

	private static String line(String isbn, String quantity) {
		return "{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":" + quantity + "}]}";
	}

	static Stream<Arguments> mistakes() {
		String big = "{\"lines\":[],\"pad\":\"" + "x".repeat(20 * 1024) + "\"}";
		return Stream.of(
				bad("malformed JSON", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", "{\"lines\":[{\"isbn\":", KEY, "k1")),
				bad("JSON of the wrong shape", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", "[\"" + isbn + "\"]", KEY, "k1")),
				bad("empty body", 400, "malformed-request", (api, isbn) -> api.postJson("/api/orders", "", KEY, "k1")),
				bad("unknown ISBN", 422, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(TestBooks.newIsbn(), "1"), KEY, "k1")),
				bad("zero quantity", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "0"), KEY, "k1")),
				bad("negative quantity", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "-2"), KEY, "k1")),
				bad("quantity above 1000", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1001"), KEY, "k1")),
				bad("quantity 1e12", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1e12"), KEY, "k1")),
				bad("quantity 99999999999", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "99999999999"), KEY, "k1")),
				bad("quantity 1.5", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1.5"), KEY, "k1")),
				bad("quantity as text", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "\"two\""), KEY, "k1")),
				bad("quantity as a numeric string", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "\"2\""), KEY, "k1")),
				bad("quantity as a boolean", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "true"), KEY, "k1")),
				bad("ISBN as a number", 400, "malformed-request",
						(api, isbn) -> api.postJson("/api/orders",
								"{\"lines\":[{\"isbn\":" + isbn + ",\"quantity\":1}]}", KEY, "k1")),
				bad("duplicate ISBN lines", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders",
								"{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":1},{\"isbn\":\"" + isbn
										+ "\",\"quantity\":1}]}",
								KEY, "k1")),
				bad("21 lines", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", manyLines(21), KEY, "k1")),
				bad("no lines", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", "{\"lines\":[]}", KEY, "k1")),
				bad("SQL in the ISBN", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line("'; DROP TABLE book; --", "1"), KEY, "k1")),
				bad("HTML in the ISBN", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line("<script>alert(1)</script>", "1"), KEY, "k1")),
				bad("missing Idempotency-Key", 400, "idempotency-key-missing",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1"))),
				bad("Idempotency-Key of 65 characters", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1"), KEY, "k".repeat(65))),
				bad("Idempotency-Key with SQL", 400, "validation",
						(api, isbn) -> api.postJson("/api/orders", line(isbn, "1"), KEY, "x' OR '1'='1")),
				bad("body over 16 KiB", 413, "payload-too-large",
						(api, isbn) -> api.postJson("/api/orders", big, KEY, "k1")),
				bad("chunked body over 16 KiB", 413, "payload-too-large",
						(api, isbn) -> api.postChunked("/api/orders", big, KEY, "k1")),
				bad("text/plain", 415, "unsupported-media-type",
						(api, isbn) -> api.post("/api/orders", "text/plain", line(isbn, "1"), KEY, "k1")),
				bad("XML", 415, "unsupported-media-type",
						(api, isbn) -> api.post("/api/orders", "application/xml", "<lines/>", KEY, "k1")),
				bad("form", 415, "unsupported-media-type",
						(api, isbn) -> api.post("/api/orders", "application/x-www-form-urlencoded", "isbn=" + isbn, KEY,
								"k1")),
				bad("no content type", 415, "unsupported-media-type",
						(api, isbn) -> api.post("/api/orders", null, line(isbn, "1"), KEY, "k1")),
				bad("order id not a UUID", 400, "validation", (api, isbn) -> api.get("/api/orders/42")),
				bad("ISBN of letters", 400, "validation", (api, isbn) -> api.get("/api/books/97819abcdefgh")),
				bad("page size 0", 400, "validation", (api, isbn) -> api.get("/api/books?size=0")),
				bad("page size 1000", 400, "validation", (api, isbn) -> api.get("/api/books?size=1000")),
				bad("negative page", 400, "validation", (api, isbn) -> api.get("/api/books?page=-1")),
				bad("page beyond int", 400, "validation", (api, isbn) -> api.get("/api/books?page=99999999999")),
				bad("query of 101 characters", 400, "validation",
						(api, isbn) -> api.get("/api/books?q=" + "x".repeat(101))),
				bad("NUL in the query", 400, "validation", (api, isbn) -> api.get("/api/books?q=a%00b")),
				bad("broken percent-encoding", 400, "malformed-request", (api, isbn) -> api.rawGet("/api/books?q=%zz")),
				bad("NUL in the path", 400, "malformed-request", (api, isbn) -> api.get("/api/books/%00")),
				bad("encoded slashes in the path", 400, "malformed-request",
						(api, isbn) -> api.get("/api/books/..%2f..%2fetc%2fpasswd")),
				bad("the error path itself", 404, "not-found", (api, isbn) -> api.get("/error")),
				bad("unknown path", 404, "not-found", (api, isbn) -> api.get("/api/nothing/here")),
				bad("DELETE a book", 405, "method-not-allowed",
						(api, isbn) -> api.send("DELETE", "/api/books/" + isbn)),
				bad("PUT an order", 405, "method-not-allowed", (api, isbn) -> api.send("PUT", "/api/orders")),
				bad("XML wanted", 406, "unsupported-media-type",
						(api, isbn) -> api.get("/api/books/" + isbn, "Accept", "application/xml")));
	}

	private static String manyLines(int count) {
		StringBuilder body = new StringBuilder("{\"lines\":[");
		for (int i = 0; i < count; i++) {
			body.append(i > 0 ? "," : "")
				.append("{\"isbn\":\"")
				.append(TestBooks.newIsbn())
				.append("\",\"quantity\":1}");
		}
		return body.append("]}").toString();
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("mistakes")
	void isAProblemAndWritesNothing(String name, int status, String type, Call call) {
		long orders = this.books.orders();
		long lines = this.books.orderLines();

		HttpResponse<String> response = call.apply(this.api, this.isbn);

		assertThat(response.statusCode()).isEqualTo(status);
		assertThat(response.headers().firstValue("Content-Type"))
			.hasValueSatisfying((contentType) -> assertThat(contentType).startsWith("application/problem+json"));
		assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-it");
		assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
		JsonNode problem = Api.json(response);
		assertThat(problem.get("type").asString()).isEqualTo("urn:tierstack:problem:" + type);
		assertThat(problem.get("status").asInt()).isEqualTo(status);
		assertThat(problem.get("title").asString()).isNotBlank();
		assertThat(problem.get("detail").asString()).isNotBlank();
		assertThat(response.body()).doesNotContain("java.", "tools.jackson", "Exception", "at dev.", "SQL",
				"bookshop.");
		assertThat(this.books.stock(this.isbn)).isEqualTo(3);
		assertThat(this.books.orders()).isEqualTo(orders);
		assertThat(this.books.orderLines()).isEqualTo(lines);
		assertThat(this.books.ordersWithKey("k1")).isZero();
	}

}
