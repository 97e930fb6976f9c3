package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The live topology console (a Prometheus console template,
 * {@code ops/prometheus/consoles}) in a real browser (Debian's Chromium, headless) on a
 * healthy stack: it shows the load balancer that answers on the VIP as the holder, every
 * web node UP in both load balancers, one database primary and one replica, and keeps
 * updating without a reload; each web node's view of the app nodes; the last sampled
 * requests, with their path and time in each tier, from Zipkin. The test reads the page's
 * ids and data attributes, not its pixels; the screenshot is for people.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(1)
class ConsoleIT {

	private static final Duration SETTLES = Duration.ofSeconds(60);

	private static ComposeStack stack;

	private static HttpClient http;

	private static Console console;

	@BeforeAll
	static void openConsole(ComposeStack composeStack, @TempDir Path profile) {
		stack = composeStack;
		http = Http.client();
		console = Console.open(stack, profile);
	}

	@AfterAll
	static void closeConsole() {
		if (console != null) {
			console.close();
		}
	}

	@Test
	void showsTheVipHolderEveryWebNodeUpAndOnePrimaryWithOneReplica() {
		String holder = new Rotation(stack, http, List.of()).vipHolder();
		long webNodes = stack.containers("web").size();
		Map<String, Long> webUp = Map.of("lb1", webNodes, "lb2", webNodes);
		Map<String, Object> shown = console.await(
				(state) -> "false".equals(state.get("stale")) && holder.equals(state.get("vipHolder"))
						&& List.of(holder).equals(state.get("holders")) && webUp.equals(state.get("webUp"))
						&& Console.roleCount(state, "primary") == 1 && Console.roleCount(state, "replica") == 1,
				SETTLES);
		Path screenshot = console.screenshot("console-healthy");
		List<String> errors = console.errors();
		Results.of("console")
			.put("vipHolder", holder)
			.put("shown", shown)
			.put("browserErrors", errors)
			.put("screenshot", screenshot.toString())
			.write();
		assertThat(shown.get("stale")).as("the page updates").isEqualTo("false");
		assertThat(shown.get("vipHolder")).as("VIP holder").isEqualTo(holder);
		assertThat(shown.get("holders")).as("load balancers marked as holder").isEqualTo(List.of(holder));
		assertThat(shown.get("webUp")).as("web nodes UP per load balancer").isEqualTo(webUp);
		assertThat(Console.roleCount(shown, "primary")).as("primaries in " + shown.get("roles")).isOne();
		assertThat(Console.roleCount(shown, "replica")).as("replicas in " + shown.get("roles")).isOne();
		assertThat(errors).as("the browser's console errors").isEmpty();
		String firstUpdate = (String) shown.get("updated");
		Map<String, Object> later = console.await((state) -> !firstUpdate.equals(state.get("updated")),
				Duration.ofSeconds(5));
		assertThat(later.get("updated")).as("the page redraws without a reload").isNotEqualTo(firstUpdate);
	}

	@Test
	void showsEachWebNodesViewOfTheAppNodesAndTheRecentRequestsWithTheirTimeInEachTier() {
		int appNodes = stack.containers("app").size();
		List<String> isbns = Http.isbnsInStock(http, stack.vipUrl(), 1);
		Set<String> requestIds = new HashSet<>();
		// Enough requests for each web node to have chosen an app node; the first few
		// sampled, whatever share the stack samples.
		for (int i = 0; i < 20; i++) {
			HttpRequest.Builder request = Http.request(stack.vipUrl(), "/books/" + isbns.get(0));
			if (i < 3) {
				request.header("traceparent", Http.sampledTraceparent(Http.newTraceId()));
			}
			HttpResponse<String> page = Http.send(http, request.GET().build());
			assertThat(page.statusCode()).isEqualTo(200);
			if (i < 3) {
				requestIds.add(page.headers().firstValue("X-Request-Id").orElseThrow());
			}
		}
		Predicate<Map<String, Object>> allAppNodesReady = (state) -> {
			Map<?, ?> ready = (Map<?, ?>) state.get("appsReady");
			return ready.size() == stack.containers("web").size()
					&& ready.values().stream().allMatch((count) -> ((Number) count).intValue() == appNodes);
		};
		Map<String, Object> shown = console
			.await((state) -> allAppNodesReady.test(state) && !traced(state, requestIds).isEmpty(), SETTLES);
		Path screenshot = console.screenshot("console-recent-requests");
		List<Map<?, ?>> traced = traced(shown, requestIds);
		Results.of("console-recent-requests")
			.put("appsReady", shown.get("appsReady"))
			.put("recent", shown.get("recent"))
			.put("requestIds", requestIds)
			.put("screenshot", screenshot.toString())
			.write();
		assertThat(allAppNodesReady.test(shown)).as("app nodes ready per web node: " + shown.get("appsReady")).isTrue();
		assertThat(shown.get("zipkin")).as("Zipkin answered the page").isEqualTo("true");
		assertThat(traced).as("our sampled requests among the recent ones: " + shown.get("recent")).isNotEmpty();
		assertThat(traced).allSatisfy((row) -> {
			double web = Double.parseDouble((String) row.get("web"));
			double app = Double.parseDouble((String) row.get("app"));
			double db = Double.parseDouble((String) row.get("db"));
			assertThat(db).as("db time").isPositive();
			assertThat(app).as("app time, which includes its SQL").isGreaterThanOrEqualTo(db);
			assertThat(web).as("web time, which includes the app's").isGreaterThanOrEqualTo(app);
		});
	}

	/** The rows of the recent requests that are among the given ones. */
	private static List<Map<?, ?>> traced(Map<String, Object> state, Set<String> requestIds) {
		return ((List<?>) state.get("recent")).stream()
			.<Map<?, ?>>map((row) -> (Map<?, ?>) row)
			.filter((row) -> requestIds.contains(row.get("id")))
			.toList();
	}

}
