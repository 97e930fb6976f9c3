package dev.tierstack.systemtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

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

	private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

	private static final Duration SETTLES = Duration.ofSeconds(60);

	/** What the page shows, read in one script so that a redraw cannot split it. */
	private static final String READ_STATE = """
			const all = (selector) => [...document.querySelectorAll(selector)];
			return {
			  vipHolder: document.getElementById('vip').dataset.holderName,
			  stale: document.getElementById('freshness').dataset.stale,
			  updated: document.getElementById('freshness').dataset.updated || '',
			  holders: all('[data-lb][data-holder="true"]').map((e) => e.dataset.lb),
			  webUp: Object.fromEntries(all('[data-lb]').map((e) => [e.dataset.lb,
			    e.querySelectorAll('li[data-server^="web-"][data-state="UP"]').length])),
			  roles: all('[data-db]').map((e) => e.dataset.db + '=' + e.dataset.role).sort()
			};
			""";

	private static ComposeStack stack;

	private static HttpClient http;

	private static WebDriver browser;

	@BeforeAll
	static void startBrowser(ComposeStack composeStack, @TempDir Path profile) {
		if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
			if ("true".equalsIgnoreCase(System.getenv("CI"))) {
				fail("CI=true but Chromium or its driver is missing: apt-get install chromium chromium-driver");
			}
			Assumptions.abort("Chromium or chromedriver is not installed");
		}
		stack = composeStack;
		http = Http.client();
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		// A projector's resolution, so that the screenshot shows what the room sees.
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
				"--window-size=1920,1080", "--user-data-dir=" + profile);
		LoggingPreferences logs = new LoggingPreferences();
		logs.enable(LogType.BROWSER, Level.ALL);
		options.setCapability("goog:loggingPrefs", logs);
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		browser = new ChromeDriver(service, options);
		browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
	}

	@AfterAll
	static void stopBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	@Test
	void showsTheVipHolderEveryWebNodeUpAndOnePrimaryWithOneReplica() throws IOException {
		String holder = new Rotation(stack, http, List.of()).vipHolder();
		long webNodes = stack.containers("web").size();
		Map<String, Long> webUp = Map.of("lb1", webNodes, "lb2", webNodes);
		browser.get(stack.prometheusUrl() + "/consoles/topology.html");
		Map<String, Object> shown = Map.of();
		try {
			shown = new WebDriverWait(browser, SETTLES).pollingEvery(Duration.ofMillis(500)).until((page) -> {
				Map<String, Object> state = state();
				boolean healthy = "false".equals(state.get("stale")) && holder.equals(state.get("vipHolder"))
						&& List.of(holder).equals(state.get("holders")) && webUp.equals(state.get("webUp"))
						&& roleCount(state, "primary") == 1 && roleCount(state, "replica") == 1;
				return healthy ? state : null;
			});
		}
		catch (TimeoutException ex) {
			shown = state();
		}
		Path screenshot = Results.directory().resolve("console-healthy.png");
		Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), screenshot,
				StandardCopyOption.REPLACE_EXISTING);
		List<String> errors = browser.manage()
			.logs()
			.get(LogType.BROWSER)
			.getAll()
			.stream()
			.filter((entry) -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
			.map(LogEntry::getMessage)
			.toList();
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
		assertThat(roleCount(shown, "primary")).as("primaries in " + shown.get("roles")).isOne();
		assertThat(roleCount(shown, "replica")).as("replicas in " + shown.get("roles")).isOne();
		assertThat(errors).as("the browser's console errors").isEmpty();
		String firstUpdate = (String) shown.get("updated");
		new WebDriverWait(browser, Duration.ofSeconds(5)).pollingEvery(Duration.ofMillis(200))
			.withMessage("the page redraws without a reload")
			.until((page) -> !firstUpdate.equals(state().get("updated")));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> state() {
		return (Map<String, Object>) ((JavascriptExecutor) browser).executeScript(READ_STATE);
	}

	private static long roleCount(Map<String, Object> state, String role) {
		return ((List<?>) state.get("roles")).stream().filter((entry) -> ((String) entry).endsWith("=" + role)).count();
	}

}
