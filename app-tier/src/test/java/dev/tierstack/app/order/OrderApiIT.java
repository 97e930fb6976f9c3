package dev.tierstack.app.order;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.tierstack.app.Api;
import dev.tierstack.app.AppIntegrationTest;
import dev.tierstack.app.TestBooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

@AppIntegrationTest
class OrderApiIT {

	@LocalServerPort
	private int port;

	@Autowired
	private JdbcClient jdbc;

	private Api api;

	private TestBooks books;

	@BeforeEach
	void setUp() {
		this.api = new Api(this.port);
		this.books = new TestBooks(this.jdbc);
	}

	private static String body(String... isbnAndQuantity) {
		List<String> lines = new ArrayList<>();
		for (int i = 0; i < isbnAndQuantity.length; i += 2) {
			lines.add("{\"isbn\":\"" + isbnAndQuantity[i] + "\",\"quantity\":" + isbnAndQuantity[i + 1] + "}");
		}
		return "{\"lines\":[" + String.join(",", lines) + "]}";
	}

	private HttpResponse<String> order(String key, String body) {
		return this.api.postJson("/api/orders", body, "Idempotency-Key", key);
	}

	private static String key() {
		return "it-" + UUID.randomUUID();
	}

	@Test
	void placesAnOrderAndStoresIt() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String emma = this.books.insert("Emma", "Jane Austen", "4.50", 2);
		String key = key();
		HttpResponse<String> response = order(key, body(dune, "2", emma, "1"));

		assertThat(response.statusCode()).isEqualTo(201);
		assertThat(response.headers().firstValue("Idempotency-Replayed")).isEmpty();
		JsonNode order = Api.json(response);
		String id = order.get("id").asString();
		assertThat(response.headers().firstValue("Location")).hasValue("/api/orders/" + id);
		assertThat(order.get("total").decimalValue()).isEqualByComparingTo("24.48");
		assertThat(order.get("createdAt").asString()).isNotBlank();
		JsonNode first = order.get("lines").get(0);
		assertThat(first.get("isbn").asString()).isEqualTo(dune);
		assertThat(first.get("title").asString()).isEqualTo("Dune");
		assertThat(first.get("quantity").asInt()).isEqualTo(2);
		assertThat(first.get("unitPrice").decimalValue()).isEqualByComparingTo("9.99");
		assertThat(first.get("lineTotal").decimalValue()).isEqualByComparingTo("19.98");

		assertThat(this.books.stock(dune)).isEqualTo(3);
		assertThat(this.books.stock(emma)).isEqualTo(1);
		assertThat(this.books.ordersWithKey(key)).isOne();
		assertThat(this.books.linesOfBook(dune)).isEqualTo(2);
		assertThat(this.jdbc.sql("SELECT total FROM purchase_order WHERE id = ?::uuid")
			.param(id)
			.query(java.math.BigDecimal.class)
			.single()).isEqualByComparingTo("24.48");

		HttpResponse<String> lookup = this.api.get("/api/orders/" + id);
		assertThat(lookup.statusCode()).isEqualTo(200);
		assertThat(Api.json(lookup)).isEqualTo(order);
	}

	@Test
	void aRetryWithTheSameKeyReplaysTheOrder() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String key = key();
		HttpResponse<String> first = order(key, body(dune, "2"));
		// Same request, other formatting: still the same order.
		HttpResponse<String> retry = order(key,
				"{ \"lines\" : [ { \"quantity\" : 2, \"isbn\" : \"" + dune + "\" } ] }");

		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotency-Replayed")).hasValue("true");
		assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
		assertThat(retry.body()).isEqualTo(first.body());
		assertThat(this.books.stock(dune)).isEqualTo(3);
		assertThat(this.books.ordersWithKey(key)).isOne();
	}

	@Test
	void theSameKeyForAnotherOrderIsRefused() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String key = key();
		assertThat(order(key, body(dune, "2")).statusCode()).isEqualTo(201);
		long orders = this.books.orders();

		HttpResponse<String> reuse = order(key, body(dune, "3"));
		assertThat(reuse.statusCode()).isEqualTo(422);
		assertThat(Api.json(reuse).get("type").asString()).isEqualTo("urn:tierstack:problem:idempotency-key-reuse");
		assertThat(this.books.stock(dune)).isEqualTo(3);
		assertThat(this.books.orders()).isEqualTo(orders);
	}

	@Test
	void shortStockIsAConflictAndChangesNothing() {
		String dune = this.books.insert("Dune", "Frank Herbert", "9.99", 5);
		String emma = this.books.insert("Emma", "Jane Austen", "4.50", 1);
		long orders = this.books.orders();
		long lines = this.books.orderLines();
		String key = key();

		HttpResponse<String> response = order(key, body(dune, "1", emma, "2"));
		assertThat(response.statusCode()).isEqualTo(409);
		JsonNode problem = Api.json(response);
		assertThat(problem.get("type").asString()).isEqualTo("urn:tierstack:problem:insufficient-stock");
		assertThat(problem.get("shortages").get(0).get("isbn").asString()).isEqualTo(emma);
		assertThat(this.books.stock(dune)).isEqualTo(5);
		assertThat(this.books.stock(emma)).isEqualTo(1);
		assertThat(this.books.orders()).isEqualTo(orders);
		assertThat(this.books.orderLines()).isEqualTo(lines);
		assertThat(this.books.ordersWithKey(key)).isZero();

		// The key was not used up: the same key may place a possible order later.
		assertThat(order(key, body(dune, "1", emma, "1")).statusCode()).isEqualTo(201);
	}

	@Test
	void neverSellsMoreThanTheStock() throws Exception {
		String lastCopies = this.books.insert("Last Copies", "Scarce Author", "10.00", 5);
		List<HttpResponse<String>> responses = race(16, () -> order(key(), body(lastCopies, "1")));

		assertThat(responses).filteredOn((response) -> response.statusCode() == 201).hasSize(5);
		assertThat(responses).filteredOn((response) -> response.statusCode() == 409).hasSize(11);
		assertThat(this.books.stock(lastCopies)).isZero();
		assertThat(this.books.linesOfBook(lastCopies)).isEqualTo(5);
	}

	/**
	 * Retries that race their original, with copies to spare and for exactly the copies
	 * left: a retry that waited for the books' locks behind its original would find the
	 * stock taken and be refused, although its order exists.
	 */
	@ParameterizedTest(name = "{0} copies in stock")
	@ValueSource(ints = { 50, 3 })
	void concurrentRetriesWithOneKeyAllGetTheOneOrder(int stock) throws Exception {
		String book = this.books.insert("Raced", "Frank Herbert", "9.99", stock);
		String key = key();
		String body = body(book, "3");
		List<HttpResponse<String>> responses = race(8, () -> order(key, body));

		assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(201);
		assertThat(responses).extracting((response) -> Api.json(response).get("id").asString())
			.containsOnly(Api.json(responses.get(0)).get("id").asString());
		assertThat(responses).filteredOn((response) -> response.headers().firstValue("Idempotency-Replayed").isEmpty())
			.hasSize(1);
		assertThat(this.books.ordersWithKey(key)).isOne();
		assertThat(this.books.stock(book)).isEqualTo(stock - 3);
		assertThat(this.books.linesOfBook(book)).isEqualTo(3);
	}

	@Test
	void unknownOrderIsNotFound() {
		HttpResponse<String> response = this.api.get("/api/orders/" + UUID.randomUUID());
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(Api.json(response).get("type").asString()).isEqualTo("urn:tierstack:problem:not-found");
	}

	/** Runs the same request from many threads released at once. */
	private static List<HttpResponse<String>> race(int threads, Callable<HttpResponse<String>> request)
			throws Exception {
		CountDownLatch start = new CountDownLatch(1);
		List<Future<HttpResponse<String>>> futures = new ArrayList<>();
		try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
			for (int i = 0; i < threads; i++) {
				futures.add(pool.submit(() -> {
					start.await();
					return request.call();
				}));
			}
			start.countDown();
			List<HttpResponse<String>> responses = new ArrayList<>();
			for (Future<HttpResponse<String>> future : futures) {
				responses.add(future.get(60, TimeUnit.SECONDS));
			}
			return responses;
		}
	}

}
