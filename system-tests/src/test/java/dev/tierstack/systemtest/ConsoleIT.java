package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
 * updating without a reload. The test reads the page's ids and data attributes, not its
 * pixels; the screenshot is for people.
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

}
