package dev.tierstack.web.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web tier in front of a real app tier and a real database: what a user does through
 * the pages, and what a program does through {@code /api}, ends up in PostgreSQL.
 */
@EnabledIfDockerAvailable
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebTierEndToEndIT {

	private static RunningStack stack;

	private static Book book;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	record Book(String isbn, String title, int stock) {

	}

	@BeforeAll
	static void start() throws Exception {
		stack = RunningStack.get();
		stack.ensureAppTierRunning();
		// A book with enough stock, from the seeded catalog: the test knows nothing else.
		try (Connection db = stack.ownerConnection();
				ResultSet row = db.createStatement()
					.executeQuery("SELECT isbn, title, stock FROM bookshop.book WHERE stock >= 10 "
							+ "AND title ~ '^[A-Za-z ]+$' ORDER BY isbn LIMIT 1")) {
			assertThat(row.next()).as("the seed has a book in stock").isTrue();
			book = new Book(row.getString(1), row.getString(2), row.getInt(3));
		}
	}

	@AfterEach
	void appTierBack() {
		stack.ensureAppTierRunning();
	}

	@Test
	@Order(1)
	void catalogPageListsBooksFromTheDatabase() throws Exception {
		Browser browser = new Browser(stack.webUrl());
		HttpResponse<String> page = browser.get("/?q=" + book.title().replace(' ', '+'));
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.body()).contains(book.title()).contains("/books/" + book.isbn());
		assertThat(page.headers().firstValue("X-Web-Node")).hasValue(RunningStack.WEB_NODE);
		assertThat(page.headers().firstValue("X-App-Node")).hasValue(RunningStack.APP_NODE);
		assertThat(page.body()).contains(RunningStack.APP_NODE);

		HttpResponse<String> first = browser.get("/");
		assertThat(first.body()).contains("page <span>1</span> of <span>");
	}

	@Test
	@Order(2)
	void orderPlacedThroughTheFormIsStoredOnceEvenWhenSubmittedTwice() throws Exception {
		Browser browser = new Browser(stack.webUrl());
		int stockBefore = stock(book.isbn());
		HttpResponse<String> bookPage = browser.get("/books/" + book.isbn());
		assertThat(bookPage.statusCode()).isEqualTo(200);
		Map<String, String> form = Map.of("_csrf", Browser.hiddenField(bookPage.body(), "_csrf"), "isbn",
				Browser.hiddenField(bookPage.body(), "isbn"), "idempotencyKey",
				Browser.hiddenField(bookPage.body(), "idempotencyKey"), "quantity", "2");

		HttpResponse<String> placed = browser.postForm("/orders", form);
		HttpResponse<String> again = browser.postForm("/orders", form);

		assertThat(placed.statusCode()).isEqualTo(303);
		String location = placed.headers().firstValue("Location").orElseThrow();
		assertThat(location).matches(".*/orders/[0-9a-f-]{36}");
		assertThat(again.statusCode()).isEqualTo(303);
		assertThat(again.headers().firstValue("Location")).as("the same order").hasValue(location);
		assertThat(ordersWithKey(form.get("idempotencyKey"))).isEqualTo(1);
		assertThat(stock(book.isbn())).isEqualTo(stockBefore - 2);

		String orderId = location.substring(location.lastIndexOf('/') + 1);
		HttpResponse<String> confirmation = browser.get("/orders/" + orderId);
		assertThat(confirmation.statusCode()).isEqualTo(200);
		assertThat(confirmation.body()).contains(orderId).contains(book.title());
	}

	@Test
	@Order(3)
	void aFormWithoutCsrfTokenPlacesNoOrder() throws Exception {
		Browser browser = new Browser(stack.webUrl());
		String key = UUID.randomUUID().toString();
		HttpResponse<String> response = browser.postForm("/orders",
				Map.of("isbn", book.isbn(), "quantity", "1", "idempotencyKey", key));
		assertThat(response.statusCode()).isEqualTo(403);
		assertThat(ordersWithKey(key)).isZero();
	}

	@Test
	@Order(4)
	void tooLargeAnOrderComesBackWithTheStockLeft() throws Exception {
		Browser browser = new Browser(stack.webUrl());
		HttpResponse<String> bookPage = browser.get("/books/" + book.isbn());
		int stock = stock(book.isbn());
		HttpResponse<String> response = browser.postForm("/orders",
				Map.of("_csrf", Browser.hiddenField(bookPage.body(), "_csrf"), "isbn", book.isbn(), "idempotencyKey",
						Browser.hiddenField(bookPage.body(), "idempotencyKey"), "quantity",
						Integer.toString(Math.min(stock + 1, 1000))));
		assertThat(response.statusCode()).isEqualTo(409);
		assertThat(response.body()).contains("Sorry, only " + stock);
		assertThat(stock(book.isbn())).isEqualTo(stock);
	}

	@Test
	@Order(5)
	void apiAnswersAsTheAppTierDoes() throws Exception {
		for (String path : new String[] { "/api/books?q=" + book.title().replace(' ', '+') + "&size=3",
				"/api/books/" + book.isbn(), "/api/books/9780000000000", "/api/books?size=1000" }) {
			HttpResponse<String> direct = send(HttpRequest.newBuilder(URI.create(stack.appUrl() + path)).GET());
			HttpResponse<String> forwarded = send(HttpRequest.newBuilder(URI.create(stack.webUrl() + path)).GET());
			assertThat(forwarded.statusCode()).as(path).isEqualTo(direct.statusCode());
			assertThat(forwarded.body()).as(path).isEqualTo(direct.body());
			assertThat(forwarded.headers().firstValue("Content-Type")).as(path)
				.isEqualTo(direct.headers().firstValue("Content-Type"));
			assertThat(forwarded.headers().firstValue("X-App-Node")).hasValue(RunningStack.APP_NODE);
			assertThat(forwarded.headers().firstValue("X-Web-Node")).hasValue(RunningStack.WEB_NODE);
		}
	}

	@Test
	@Order(6)
	void apiOrdersAreIdempotentThroughTheForwarder() throws Exception {
		String key = "e2e-" + UUID.randomUUID();
		String body = "{\"lines\":[{\"isbn\":\"" + book.isbn() + "\",\"quantity\":1}]}";
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.webUrl() + "/api/orders"))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", key)
			.header("X-Request-Id", "e2e-request-1")
			.POST(BodyPublishers.ofString(body));

		HttpResponse<String> created = send(request);
		HttpResponse<String> replayed = send(request);

		assertThat(created.statusCode()).isEqualTo(201);
		assertThat(created.headers().firstValue("Location"))
			.hasValueSatisfying((location) -> assertThat(location).matches("/api/orders/[0-9a-f-]{36}"));
		assertThat(created.headers().firstValue("X-Request-Id")).hasValue("e2e-request-1");
		assertThat(replayed.statusCode()).isEqualTo(201);
		assertThat(replayed.headers().firstValue("Idempotency-Replayed")).hasValue("true");
		assertThat(replayed.body()).isEqualTo(created.body());
		assertThat(ordersWithKey(key)).isEqualTo(1);
	}

	@Test
	@Order(7)
	void whenTheAppTierIsDownPagesSay503QuicklyAndTheWebTierStaysReady() throws Exception {
		stack.stopAppTier();
		Browser browser = new Browser(stack.webUrl());

		long started = System.nanoTime();
		HttpResponse<String> page = browser.get("/");
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertThat(page.statusCode()).isEqualTo(503);
		assertThat(page.body()).contains("temporarily unavailable").doesNotContain("Exception");
		assertThat(elapsed).as("a refused connection is no reason to wait").isLessThan(Duration.ofSeconds(3));

		HttpResponse<String> api = send(HttpRequest.newBuilder(URI.create(stack.webUrl() + "/api/books")).GET());
		assertThat(api.statusCode()).isEqualTo(503);
		assertThat(api.body()).contains("urn:tierstack:problem:service-unavailable");

		HttpResponse<String> readiness = send(HttpRequest.newBuilder(URI.create(stack.webUrl() + "/readyz")).GET());
		assertThat(readiness.statusCode()).isEqualTo(200);
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
		return this.http.send(request.timeout(Duration.ofSeconds(20)).build(), BodyHandlers.ofString());
	}

	private static int stock(String isbn) throws Exception {
		try (Connection db = stack.ownerConnection();
				PreparedStatement query = db.prepareStatement("SELECT stock FROM bookshop.book WHERE isbn = ?")) {
			query.setString(1, isbn);
			try (ResultSet row = query.executeQuery()) {
				row.next();
				return row.getInt(1);
			}
		}
	}

	private static int ordersWithKey(String key) throws Exception {
		try (Connection db = stack.ownerConnection();
				PreparedStatement query = db
					.prepareStatement("SELECT count(*) FROM bookshop.purchase_order WHERE idempotency_key = ?")) {
			query.setString(1, key);
			try (ResultSet row = query.executeQuery()) {
				row.next();
				return row.getInt(1);
			}
		}
	}

}
