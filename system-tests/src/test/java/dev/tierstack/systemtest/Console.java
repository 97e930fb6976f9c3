package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Level;

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

import static org.assertj.core.api.Assertions.fail;

/**
 * The live topology console ({@code ops/prometheus/consoles}) in Debian's Chromium,
 * headless, at a projector's resolution. The tests read the page's ids and data
 * attributes, not its pixels; the screenshots are for people.
 */
final class Console implements AutoCloseable {

	private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

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
			  roles: all('[data-db]').map((e) => e.dataset.db + '=' + e.dataset.role).sort(),
			  appsReady: Object.fromEntries(all('#web [data-instance][data-state="UP"]').map((e) => [e.dataset.instance,
			    e.querySelectorAll('li[data-app][data-ready="true"]').length])),
			  zipkin: document.getElementById('recent').dataset.zipkin || '',
			  recent: all('#recent tr[data-request-id]').map((e) => ({ id: e.dataset.requestId,
			    web: e.dataset.webMs, app: e.dataset.appMs, db: e.dataset.dbMs }))
			};
			""";

	private final WebDriver browser;

	private Console(WebDriver browser) {
		this.browser = browser;
	}

	/**
	 * Opens the console; without Chromium the calling test is aborted, or fails under
	 * {@code CI=true}.
	 */
	static Console open(ComposeStack stack, Path profile) {
		if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
			if ("true".equalsIgnoreCase(System.getenv("CI"))) {
				fail("CI=true but Chromium or its driver is missing: apt-get install chromium chromium-driver");
			}
			org.junit.jupiter.api.Assumptions.abort("Chromium or chromedriver is not installed");
		}
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
				"--window-size=1920,1080", "--user-data-dir=" + profile);
		LoggingPreferences logs = new LoggingPreferences();
		logs.enable(LogType.BROWSER, Level.ALL);
		options.setCapability("goog:loggingPrefs", logs);
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		WebDriver browser = new ChromeDriver(service, options);
		browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
		// Zipkin is not on Prometheus' address here (the page's default, right for the
		// host's
		// loopback), but on its own address on the operations network.
		browser.get(stack.prometheusUrl() + "/consoles/topology.html?zipkin="
				+ URLEncoder.encode(stack.zipkinUrl(), StandardCharsets.UTF_8));
		return new Console(browser);
	}

	/** What the page shows now. */
	@SuppressWarnings("unchecked")
	Map<String, Object> state() {
		return (Map<String, Object>) ((JavascriptExecutor) this.browser).executeScript(READ_STATE);
	}

	/**
	 * The first state that matches, polled every 200 ms; the last one seen if none did.
	 */
	Map<String, Object> await(Predicate<Map<String, Object>> condition, Duration timeout) {
		try {
			return new WebDriverWait(this.browser, timeout).pollingEvery(Duration.ofMillis(200)).until((page) -> {
				Map<String, Object> state = state();
				return condition.test(state) ? state : null;
			});
		}
		catch (TimeoutException ex) {
			return state();
		}
	}

	/**
	 * Watches the page in the background until it shows what the condition asks for, then
	 * takes a screenshot by that name; the watch ends with the nanoTime it saw it, or
	 * {@link Long#MAX_VALUE} after the timeout.
	 */
	Watch watch(Predicate<Map<String, Object>> condition, Duration timeout, String screenshot) {
		AtomicLong shownAt = new AtomicLong(Long.MAX_VALUE);
		Thread thread = Thread.ofVirtual().start(() -> {
			Map<String, Object> state = await(condition, timeout);
			if (condition.test(state)) {
				shownAt.set(System.nanoTime());
			}
			screenshot(screenshot);
		});
		return new Watch(thread, shownAt);
	}

	/** A watch of the page, see {@link #watch}. */
	record Watch(Thread thread, AtomicLong shownAt) {

		/** Milliseconds from the event until the page showed it; -1 if it never did. */
		long shownAfterMs(long eventNanos) throws InterruptedException {
			this.thread.join();
			long at = this.shownAt.get();
			return (at == Long.MAX_VALUE) ? -1 : TimeUnit.NANOSECONDS.toMillis(at - eventNanos);
		}

	}

	/** A screenshot into the results, by name; its path. */
	Path screenshot(String name) {
		try {
			Path file = Results.directory().resolve(name + ".png");
			Files.copy(((TakesScreenshot) this.browser).getScreenshotAs(OutputType.FILE).toPath(), file,
					StandardCopyOption.REPLACE_EXISTING);
			return file;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** The severe messages of the page's JavaScript console. */
	List<String> errors() {
		return this.browser.manage()
			.logs()
			.get(LogType.BROWSER)
			.getAll()
			.stream()
			.filter((entry) -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
			.map(LogEntry::getMessage)
			.toList();
	}

	static long roleCount(Map<String, Object> state, String role) {
		return ((List<?>) state.get("roles")).stream().filter((entry) -> ((String) entry).endsWith("=" + role)).count();
	}

	@Override
	public void close() {
		this.browser.quit();
	}

}
