package dev.tierstack.web.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Arrays;
import java.util.List;

import dev.tierstack.web.forward.StandInAppTier;
import dev.tierstack.web.forward.StandIns;
import dev.tierstack.web.forward.WebTierOverStandIns;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every answer says in {@code Server-Timing} how long this node took ({@code web}) and,
 * when it asked the app tier, how long the app tier and its database took, as the app
 * tier said: summed over a page's calls, passed on with an {@code /api} answer.
 */
@WebTierOverStandIns
class ServerTimingTests extends StandIns {

	private static final String EMPTY_PAGE = "{\"content\":[],\"page\":0,\"size\":20,\"totalElements\":0,\"totalPages\":0}";

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@BeforeEach
	void appTierTellsItsTimes() {
		resetStandIns();
		ready().forEach((node) -> node.respondWith((self, exchange) -> {
			exchange.getResponseHeaders().set("Server-Timing", "app;dur=3.5, db;dur=1.2");
			self.json(exchange, 200, EMPTY_PAGE);
		}));
	}

	@ParameterizedTest
	@ValueSource(strings = { "/", "/api/books" })
	void pagesAndApiAnswersHaveTheTimeOfEachTier(String path) throws Exception {
		HttpResponse<String> response = get(path);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().allValues("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[0-9]+\\.[0-9], app;dur=3\\.5, db;dur=1\\.2");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/about-nothing", "/css/site.css" })
	void answersWithoutTheAppTierHaveTheWebTiersTimeOnly(String path) throws Exception {
		HttpResponse<String> response = get(path);
		assertThat(response.headers().allValues("Server-Timing")).singleElement()
			.asString()
			.matches("web;dur=[0-9]+\\.[0-9]");
		assertThat(received(a, b)).isEmpty();
	}

	private HttpResponse<String> get(String path) throws Exception {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.header("Accept", "text/html,*/*")
			.build(), BodyHandlers.ofString());
	}

	private static List<StandInAppTier.Received> received(StandInAppTier... nodes) {
		return Arrays.stream(nodes).flatMap((node) -> node.received().stream()).toList();
	}

}
