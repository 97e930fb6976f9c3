package dev.tierstack.web.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A real browser (Debian's Chromium, headless) through the pages: search, open a book,
 * order it, see the confirmation. The pages must work under their Content Security
 * Policy: the browser's console shows no violation and no other error.
 */
@EnabledIfDockerAvailable
class BrowserIT {

	private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

	private static WebDriver browser;

	private static RunningStack stack;

	@BeforeAll
	static void startBrowser(@TempDir Path profile) {
		if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
			if ("true".equalsIgnoreCase(System.getenv("CI"))) {
				fail("CI=true but Chromium or its driver is missing: apt-get install chromium chromium-driver");
			}
			Assumptions.abort("Chromium or chromedriver is not installed");
		}
		stack = RunningStack.get();
		stack.ensureAppTierRunning();
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync",
				"--window-size=1280,900", "--user-data-dir=" + profile);
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
	void searchOpenABookOrderItAndSeeTheConfirmation() {
		browser.get(stack.webUrl() + "/");
		assertThat(browser.getTitle()).startsWith("Catalog");
		assertThat(browser.findElement(By.tagName("link")).getAttribute("href")).matches(".*-[0-9a-f]{32}\\.svg");

		WebElement search = browser.findElement(By.id("q"));
		search.sendKeys("Lighthouse");
		search.submit();
		new WebDriverWait(browser, Duration.ofSeconds(10)).until(ExpectedConditions.urlContains("q=Lighthouse"));
		List<WebElement> titles = browser.findElements(By.cssSelector("table.books tbody td:first-child a"));
		screenshot("catalog");
		assertThat(titles).isNotEmpty().allSatisfy((title) -> assertThat(title.getText()).contains("Lighthouse"));
		assertNoConsoleErrors();

		titles.get(0).click();
		new WebDriverWait(browser, Duration.ofSeconds(10)).until(ExpectedConditions.urlContains("/books/"));
		String bookTitle = browser.findElement(By.tagName("h1")).getText();
		assertThat(bookTitle).contains("Lighthouse");
		WebElement quantity = browser.findElement(By.id("quantity"));
		quantity.clear();
		quantity.sendKeys("1");
		screenshot("book");
		assertNoConsoleErrors();

		browser.findElement(By.cssSelector("form.order-form button[type=submit]")).click();
		new WebDriverWait(browser, Duration.ofSeconds(15))
			.until(ExpectedConditions.urlMatches(".*/orders/[0-9a-f-]{36}$"));
		String orderId = browser.getCurrentUrl().substring(browser.getCurrentUrl().lastIndexOf('/') + 1);
		assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Thank you for your order");
		assertThat(browser.findElement(By.id("order-id")).getText()).isEqualTo(orderId);
		assertThat(browser.findElement(By.cssSelector("table.lines")).getText()).contains(bookTitle);
		assertThat(browser.findElement(By.cssSelector("footer")).getText()).contains(RunningStack.WEB_NODE)
			.contains(RunningStack.APP_NODE);
		screenshot("order-confirmation");
		assertNoConsoleErrors();
	}

	// For a person to look at: target/screenshots/*.png.
	private static void screenshot(String name) {
		try {
			Path file = Path.of("target", "screenshots", name + ".png");
			Files.createDirectories(file.getParent());
			Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void assertNoConsoleErrors() {
		List<LogEntry> entries = browser.manage().logs().get(LogType.BROWSER).getAll();
		assertThat(entries).as("browser console")
			.noneSatisfy((entry) -> assertThat(entry.getMessage()).containsIgnoringCase("Content Security Policy"))
			.noneSatisfy((entry) -> assertThat(entry.getLevel()).isEqualTo(Level.SEVERE));
	}

}
