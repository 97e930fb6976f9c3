package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Pages and API through the VIP, every replica taking part, the request id, the rate
 * limit.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(1)
class RoutingIT {

	private static ComposeStack stack;

	private static String vip;

	private static HttpClient http;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		vip = stack.vipUrl();
		http = Http.client();
		Results.of("startup")
			.put("upToAllHealthyMs", stack.upToHealthy().toMillis())
			.put("upToServingMs", stack.upToServing().toMillis())
			.put("memoryAfterStart", stack.memory())
			.write();
	}

	@Test
	void pagesAndApiAnswerThroughTheVip() {
		HttpResponse<String> catalog = Http.get(http, vip, "/");
		assertThat(catalog.statusCode()).isEqualTo(200);
		assertThat(catalog.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("text/html"));
		assertThat(catalog.headers().firstValue("X-Web-Node")).isPresent();
		assertThat(catalog.headers().firstValue("X-LB-Node"))
			.hasValueSatisfying((node) -> assertThat(node).isIn("lb1", "lb2"));

		HttpResponse<String> books = Http.get(http, vip, "/api/books?size=5");
		assertThat(books.statusCode()).isEqualTo(200);
		JsonNode page = Http.json(books);
		assertThat(page.get("content")).hasSize(5);
		assertThat(page.get("totalElements").asLong()).isGreaterThanOrEqualTo(10_000);
		assertThat(books.headers().firstValue("X-App-Node")).isPresent();
		assertThat(books.headers().firstValue("X-Web-Node")).isPresent();

		String isbn = page.get("content").get(0).get("isbn").asString();
		HttpResponse<String> book = Http.get(http, vip, "/api/books/" + isbn);
		assertThat(book.statusCode()).isEqualTo(200);
		assertThat(Http.json(book).get("isbn").asString()).isEqualTo(isbn);

		HttpResponse<String> detail = Http.get(http, vip, "/books/" + isbn);
		assertThat(detail.statusCode()).isEqualTo(200);
		assertThat(detail.body()).contains(isbn);

		HttpResponse<String> missing = Http.get(http, vip, "/api/books/9999999999999");
		assertThat(missing.statusCode()).isEqualTo(404);
		assertThat(missing.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("application/problem+json"));
	}

	@Test
	void anOrderWithAnIdempotencyKeyIsStoredOnceThroughEveryTier() {
		String isbn = Http.isbnsInStock(http, vip, 1).get(0);
		HttpRequest post = order(isbn, 1);
		HttpResponse<String> created = Http.send(http, post);
		assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
		String id = Http.json(created).get("id").asString();
		assertThat(created.headers().firstValue("Location"))
			.hasValueSatisfying((location) -> assertThat(location).endsWith("/api/orders/" + id));

		HttpResponse<String> replay = Http.send(http, post);
		assertThat(replay.statusCode()).isEqualTo(201);
		assertThat(replay.headers().firstValue("Idempotency-Replayed")).hasValue("true");
		assertThat(Http.json(replay).get("id").asString()).isEqualTo(id);

		assertThat(Http.get(http, vip, "/api/orders/" + id).statusCode()).isEqualTo(200);
		assertThat(Http.get(http, vip, "/orders/" + id).statusCode()).isEqualTo(200);
	}

	/**
	 * The catalog page comes from the load balancer's memory for at most a second, its
	 * stock figures included; an order is decided on the database's stock, never on what
	 * a page showed.
	 */
	@Test
	void theCatalogPageMayShowStockASecondOldButNoOrderTakesStockOnIt() throws InterruptedException {
		// A page near the end of the catalog, which no other scenario reads or orders
		// from.
		int last = Http.json(Http.get(http, vip, "/api/books?size=20")).get("totalPages").asInt() - 1;
		int pageNumber = last - 2;
		JsonNode book = null;
		for (JsonNode candidate : Http.json(Http.get(http, vip, "/api/books?size=20&page=" + pageNumber))
			.get("content")) {
			if (book == null && candidate.get("stock").asInt() > 0) {
				book = candidate;
			}
		}
		assertThat(book).as("a book in stock on page " + pageNumber).isNotNull();
		String isbn = book.get("isbn").asString();
		int stock = book.get("stock").asInt();
		String path = "/?page=" + pageNumber;

		// A copy lasts until the load balancer's clock passes a whole second: of three
		// requests in a row, the second or the third comes from it.
		HttpResponse<String> rendered = Http.get(http, vip, path);
		assertThat(stockShown(rendered, isbn)).isEqualTo(stock);
		assertThat(List.of(Http.get(http, vip, path), Http.get(http, vip, path))).as("a copy from the load balancer")
			.anySatisfy((kept) -> assertThat(kept.headers().firstValue("age")).isPresent());

		HttpResponse<String> all = Http.send(http, order(isbn, stock));
		long ordered = System.nanoTime();
		assertThat(all.statusCode()).as(all.body()).isEqualTo(201);
		HttpResponse<String> afterOrder = Http.get(http, vip, path);
		HttpResponse<String> one = Http.send(http, order(isbn, 1));
		assertThat(one.statusCode()).as("the page may still show stock; the database has none").isEqualTo(409);
		assertThat(Http.json(Http.get(http, vip, "/api/books/" + isbn)).get("stock").asInt()).isZero();

		int shown = stockShown(afterOrder, isbn);
		while (shown != 0 && System.nanoTime() - ordered < 5_000_000_000L) {
			Thread.sleep(50);
			shown = stockShown(Http.get(http, vip, path), isbn);
		}
		long staleForMs = (System.nanoTime() - ordered) / 1_000_000;
		Results.of("catalog-page-cache")
			.put("stockBefore", stock)
			.put("shownRightAfterTheOrder", stockShown(afterOrder, isbn))
			.put("ageRightAfterTheOrder", afterOrder.headers().firstValue("age").orElse("none"))
			.put("oneMoreCopy", one.statusCode())
			.put("pageShowsZeroAfterMs", (shown == 0) ? staleForMs : -1)
			.write();
		assertThat(shown).as("the page shows the new stock within 5 s").isZero();
		assertThat(staleForMs).as("a copy is kept a second at most").isLessThan(2000);
	}

	// An order for QUANTITY copies of ISBN under a new Idempotency-Key.
	private static HttpRequest order(String isbn, int quantity) {
		return Http.request(vip, "/api/orders")
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", "st-routing-" + UUID.randomUUID())
			.POST(HttpRequest.BodyPublishers
				.ofString("{\"lines\":[{\"isbn\":\"" + isbn + "\",\"quantity\":" + quantity + "}]}"))
			.build();
	}

	// The figure in the catalog table's last column, in the row that links to ISBN.
	private static int stockShown(HttpResponse<String> page, String isbn) {
		assertThat(page.statusCode()).isEqualTo(200);
		Matcher row = Pattern.compile("href=\"/books/" + isbn + "\".*?</tr>", Pattern.DOTALL).matcher(page.body());
		assertThat(row.find()).as("a row for " + isbn).isTrue();
		Matcher cell = Pattern.compile(">(\\d+)</td>\\s*$").matcher(row.group().replace("</tr>", ""));
		assertThat(cell.find()).as(row.group()).isTrue();
		return Integer.parseInt(cell.group(1));
	}

	@Test
	void everyWebAndAppReplicaServesSomeRequests() {
		Set<String> webNodes = new TreeSet<>();
		Set<String> appNodes = new TreeSet<>();
		for (int i = 0; i < 200; i++) {
			HttpResponse<String> response = Http.getPolitely(http, vip, "/api/books?size=1&page=" + i);
			assertThat(response.statusCode()).isEqualTo(200);
			response.headers().firstValue("X-Web-Node").ifPresent(webNodes::add);
			response.headers().firstValue("X-App-Node").ifPresent(appNodes::add);
		}
		Set<String> webHosts = hostnames("web");
		Set<String> appHosts = hostnames("app");
		Results.of("replicas")
			.put("webNodesSeen", webNodes)
			.put("webContainers", webHosts)
			.put("appNodesSeen", appNodes)
			.put("appContainers", appHosts)
			.write();
		assertThat(webHosts).hasSize(2);
		assertThat(appHosts).hasSize(2);
		assertThat(webNodes).isEqualTo(webHosts);
		assertThat(appNodes).isEqualTo(appHosts);
	}

	@Test
	void theLoadBalancerGeneratesTheRequestIdAndEveryTierLogsIt() {
		HttpResponse<String> response = Http.send(http,
				Http.request(vip, "/api/books/0000000000000")
					.header("X-Request-Id", "chosen-by-the-client")
					.GET()
					.build());
		String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
		// Generated at the edge: a client cannot pick (or collide with) another request's
		// id.
		assertThat(UUID.fromString(requestId)).isNotNull();
		Map<String, List<String>> tiers = Map.of("inLoadBalancerLog", List.of("lb1", "lb2"), "inWebLog", List.of("web"),
				"inAppLog", List.of("app"));
		Map<String, Boolean> seen = new TreeMap<>();
		tiers.keySet().forEach((tier) -> seen.put(tier, false));
		try {
			// The tiers write their access logs in batches, once a second. A tier's whole
			// log is read again only until the id has turned up in it.
			await().atMost(Duration.ofSeconds(10))
				.pollInterval(Duration.ofMillis(500))
				.pollInSameThread()
				.untilAsserted(() -> {
					seen.replaceAll((tier, found) -> found
							|| tiers.get(tier).stream().anyMatch((service) -> stack.logs(service).contains(requestId)));
					assertThat(seen).as("request id in each tier's log").doesNotContainValue(false);
				});
		}
		finally {
			Results results = Results.of("request-id").put("requestId", requestId);
			seen.forEach(results::put);
			results.write();
		}
	}

	@Test
	void managementEndpointsAreNotPublic() {
		assertThat(Http.get(http, vip, "/actuator/health").statusCode()).isEqualTo(404);
		assertThat(Http.get(http, vip, "/ACTUATOR/env").statusCode()).isEqualTo(404);
		assertThat(Http.get(http, vip, "/%61ctuator/env").statusCode()).isEqualTo(404);
	}

	@Test
	void aClientOverTheRateLimitGets429WithRetryAfter() {
		// A burst well over the per-client limit, on /api and off it, answered by HAProxy
		// itself (the paths are ones the public frontend refuses), so the web tier is not
		// loaded by it. From 50
		// kept-alive connections: 900 TLS handshakes at once would measure the
		// handshakes.
		List<HttpResponse<String>> responses = Collections.synchronizedList(new ArrayList<>());
		try (ExecutorService clients = Executors.newFixedThreadPool(50)) {
			for (int i = 0; i < 900; i++) {
				String path = (i % 2 == 0) ? "/api/actuator/rate-limit-probe" : "/actuator/rate-limit-probe";
				clients.submit(() -> responses.add(Http.get(http, vip, path)));
			}
		}
		List<HttpResponse<String>> limited = responses.stream().filter((r) -> r.statusCode() == 429).toList();
		Results results = Results.of("rate-limit")
			.put("burst", responses.size())
			.put("answered429", limited.size())
			.put("answered404", responses.stream().filter((r) -> r.statusCode() == 404).count())
			.write();
		assertThat(limited).isNotEmpty();
		HttpResponse<String> one = limited.stream()
			.filter((response) -> response.uri().getPath().startsWith("/api/"))
			.findFirst()
			.orElseThrow();
		assertThat(limited)
			.allSatisfy((response) -> assertThat(response.headers().firstValue("Retry-After")).hasValue("1"));
		assertThat(one.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(one.body()).contains("urn:tierstack:problem:rate-limited");
		// Served again once the burst has left both counts: the last second's, and the
		// average over the last ten seconds.
		long burstEnded = System.nanoTime();
		await("served again after the burst").atMost(Duration.ofSeconds(25))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> Http.get(http, vip, "/api/books?size=1").statusCode(), (status) -> status == 200);
		results.put("servedAgainAfterMs", Duration.ofNanos(System.nanoTime() - burstEnded).toMillis()).write();
		// Off /api, the same answer is a page of the site.
		assertThat(limited).allSatisfy((response) -> assertThat(response.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type)
				.startsWith(response.uri().getPath().startsWith("/api/") ? "application/problem+json" : "text/html")));
		// The next test starts with no count against this client, on either node.
		Http.awaitNotRateLimited(http, "https://" + stack.edgeAddress("lb1"), "https://" + stack.edgeAddress("lb2"));
	}

	private static Set<String> hostnames(String service) {
		Set<String> hosts = new TreeSet<>();
		for (String container : stack.containers(service)) {
			hosts.add(stack.inspect(container, "{{.Config.Hostname}}"));
		}
		return hosts;
	}

}
