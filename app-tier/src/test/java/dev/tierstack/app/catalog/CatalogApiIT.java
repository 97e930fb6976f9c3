package dev.tierstack.app.catalog;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import dev.tierstack.app.Api;
import dev.tierstack.app.AppIntegrationTest;
import dev.tierstack.app.TestBooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

@AppIntegrationTest
class CatalogApiIT {

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

	private static String q(String text) {
		return URLEncoder.encode(text, StandardCharsets.UTF_8);
	}

	@Test
	void searchesAndPages() {
		String token = "Zq" + TestBooks.newIsbn().substring(6);
		String c = this.books.insert(token + " Charlie", "Someone", "3.00", 1);
		String a = this.books.insert(token + " Alpha", "Someone", "1.00", 1);
		String b = this.books.insert("Bravo", "Author " + token.toUpperCase(), "2.00", 1);

		HttpResponse<String> first = this.api.get("/api/books?q=" + q(token.toLowerCase()) + "&size=2");
		assertThat(first.statusCode()).isEqualTo(200);
		assertThat(first.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/json"));
		JsonNode page = Api.json(first);
		assertThat(page.get("totalElements").asLong()).isEqualTo(3);
		assertThat(page.get("totalPages").asInt()).isEqualTo(2);
		assertThat(page.get("page").asInt()).isZero();
		assertThat(page.get("size").asInt()).isEqualTo(2);
		assertThat(page.get("content").valueStream().map((book) -> book.get("isbn").asString())).containsExactly(b, a);
		JsonNode bravo = page.get("content").get(0);
		assertThat(bravo.get("title").asString()).isEqualTo("Bravo");
		assertThat(bravo.get("price").decimalValue()).isEqualByComparingTo("2.00");
		assertThat(bravo.get("publishedYear").asInt()).isEqualTo(2001);
		assertThat(bravo.get("stock").asInt()).isEqualTo(1);

		JsonNode second = Api.json(this.api.get("/api/books?q=" + q(token) + "&page=1&size=2"));
		assertThat(second.get("content").valueStream().map((book) -> book.get("isbn").asString())).containsExactly(c);
	}

	@Test
	void searchesTheSeedCatalog() {
		HttpResponse<String> response = this.api.get("/api/books?q=lighthouse&size=100");
		// Larger than Tomcat's response buffer (8 KB): the header went out before the
		// answer.
		assertThat(response.body()).hasSizeGreaterThan(8 * 1024);
		assertThat(response.headers().firstValue("Server-Timing")).hasValueSatisfying(
				(timing) -> assertThat(timing).matches("app;dur=[0-9]+\\.[0-9], db;dur=[0-9]+\\.[0-9]"));
		JsonNode page = Api.json(response);
		assertThat(page.get("totalElements").asLong()).isGreaterThan(100);
		assertThat(page.get("content").size()).isEqualTo(100);
		assertThat(page.get("content").valueStream().map((book) -> book.get("title").asString()))
			.allSatisfy((title) -> assertThat(title).containsIgnoringCase("lighthouse"))
			.isSortedAccordingTo(String::compareTo);
	}

	@Test
	void queriesWithSqlOrHtmlAreJustText() {
		String title = "<b>Bold</b> ' OR '1'='1 \" -- ; DROP TABLE book";
		String isbn = this.books.insert(title, "Mallory", "5.00", 1);
		for (String query : new String[] { "' OR '1'='1", "<b>Bold</b>", "; DROP TABLE book" }) {
			HttpResponse<String> response = this.api.get("/api/books?q=" + q(query));
			assertThat(response.statusCode()).isEqualTo(200);
			JsonNode page = Api.json(response);
			assertThat(page.get("totalElements").asLong()).isEqualTo(1);
			assertThat(page.get("content").get(0).get("title").asString()).isEqualTo(title);
		}
		assertThat(this.api.get("/api/books/" + isbn).statusCode()).isEqualTo(200);
		assertThat(this.jdbc.sql("SELECT count(*) FROM book").query(Long.class).single()).isGreaterThan(10_000);
	}

	@Test
	void getsOneBook() {
		String isbn = this.books.insert("Single Book", "Ann Author", "7.25", 9);
		HttpResponse<String> response = this.api.get("/api/books/" + isbn, "X-Request-Id", "catalog-it-1");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-it");
		assertThat(response.headers().firstValue("X-Request-Id")).hasValue("catalog-it-1");
		JsonNode book = Api.json(response);
		assertThat(book.get("isbn").asString()).isEqualTo(isbn);
		assertThat(book.get("author").asString()).isEqualTo("Ann Author");
		assertThat(book.get("price").decimalValue()).isEqualByComparingTo("7.25");
		assertThat(book.get("stock").asInt()).isEqualTo(9);
		assertThat(book.has("id")).isFalse();
	}

	@Test
	void unknownBookIsANotFoundProblem() {
		HttpResponse<String> response = this.api.get("/api/books/" + TestBooks.newIsbn());
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(Api.json(response).get("type").asString()).isEqualTo("urn:tierstack:problem:not-found");
		assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-it");
		assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
	}

	@Test
	void healthProbesAreUpAndSayNothingMore() {
		for (String probe : new String[] { "/livez", "/readyz" }) {
			HttpResponse<String> response = this.api.get(probe);
			assertThat(response.statusCode()).as(probe).isEqualTo(200);
			JsonNode health = Api.json(response);
			assertThat(health.get("status").asString()).isEqualTo("UP");
			assertThat(health.has("components")).isFalse();
			assertThat(response.headers().firstValue("X-App-Node")).hasValue("app-it");
		}
	}

}
