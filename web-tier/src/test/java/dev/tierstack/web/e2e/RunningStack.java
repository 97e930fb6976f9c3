package dev.tierstack.web.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import dev.tierstack.app.AppTierApplication;
import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.support.testsupport.ZipkinStandIn;
import dev.tierstack.web.WebTierApplication;
import org.flywaydb.core.Flyway;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.awaitility.Awaitility.await;

/**
 * The three tiers for the end-to-end tests, started once per test JVM: the db-tier image
 * migrated by the schema owner, the app tier in-process as the runtime role, and the web
 * tier in front of it, both sending their spans to a stand-in Zipkin. Tests may stop the
 * app tier; {@link #ensureAppTierRunning()} brings it back on the same port.
 */
final class RunningStack {

	static final String APP_NODE = "app-e2e";

	static final String WEB_NODE = "web-e2e";

	private static final List<String> WEB_TIER_ONLY = List.of(
			"org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
			"org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
			"org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
			"org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
			"org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
			"org.springframework.boot.thymeleaf.autoconfigure.ThymeleafAutoConfiguration",
			"org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration",
			"org.springframework.cloud.loadbalancer.config.BlockingLoadBalancerClientAutoConfiguration",
			"org.springframework.cloud.loadbalancer.config.LoadBalancerCacheAutoConfiguration",
			"org.springframework.cloud.client.loadbalancer.LoadBalancerAutoConfiguration",
			"org.springframework.cloud.gateway.server.mvc.GatewayServerMvcAutoConfiguration",
			"org.springframework.cloud.gateway.server.mvc.filter.FilterAutoConfiguration",
			"org.springframework.cloud.gateway.server.mvc.handler.HandlerFunctionAutoConfiguration",
			"org.springframework.cloud.gateway.server.mvc.handler.GatewayMultipartAutoConfiguration",
			"org.springframework.cloud.gateway.server.mvc.predicate.PredicateAutoConfiguration");

	private static RunningStack instance;

	private static RuntimeException failure;

	private final DbTierContainer db;

	private final ZipkinStandIn zipkin = ZipkinStandIn.start();

	private final int appPort;

	private ConfigurableApplicationContext appTier;

	private final ConfigurableApplicationContext webTier;

	private RunningStack(DbTierContainer db) {
		this.db = db;
		Flyway.configure()
			.dataSource(db.jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD)
			.schemas("bookshop")
			.locations("classpath:db/migration")
			.load()
			.migrate();
		this.appTier = startAppTier(0);
		this.appPort = port(this.appTier);
		warmUp(appUrl() + "/api/books?q=a");
		// Settings as command-line arguments: they win over each tier's own settings
		// file.
		this.webTier = new SpringApplicationBuilder(WebTierApplication.class).run("--server.port=0",
				"--management.server.port=0", "--tierstack.node.name=" + WEB_NODE,
				"--tierstack.app-tier.urls=http://127.0.0.1:" + this.appPort,
				"--tierstack.app-tier.failed-instance-pause=500ms",
				"--spring.cloud.loadbalancer.health-check.interval=2s",
				"--tierstack.tracing.zipkin-endpoint=" + this.zipkin.endpoint());
	}

	static synchronized RunningStack get() {
		if (failure != null) {
			throw new IllegalStateException("The stack failed to start for an earlier test", failure);
		}
		if (instance == null) {
			DbTierContainer db = new DbTierContainer();
			db.start();
			// Ryuk (which would remove it) is disabled on this engine.
			Runtime.getRuntime().addShutdownHook(new Thread(db::stop));
			try {
				instance = new RunningStack(db);
			}
			catch (RuntimeException ex) {
				failure = ex;
				db.stop();
				throw ex;
			}
		}
		return instance;
	}

	String webUrl() {
		return "http://127.0.0.1:" + port(this.webTier);
	}

	String appUrl() {
		return "http://127.0.0.1:" + this.appPort;
	}

	ZipkinStandIn zipkin() {
		return this.zipkin;
	}

	Connection ownerConnection() throws SQLException {
		return DriverManager.getConnection(this.db.jdbcUrl(), DbTierContainer.OWNER_USER,
				DbTierContainer.OWNER_PASSWORD);
	}

	synchronized void stopAppTier() {
		if (this.appTier != null) {
			this.appTier.close();
			this.appTier = null;
		}
	}

	synchronized void ensureAppTierRunning() {
		if (this.appTier == null) {
			this.appTier = startAppTier(this.appPort);
			warmUp(appUrl() + "/api/books?q=a");
			awaitWebTierUsingAppTier();
		}
	}

	// A new JVM answers its first requests slowly (class loading, JIT, the connection
	// pool); the tests measure the web tier, not that.
	private static void warmUp(String url) {
		HttpClient http = HttpClient.newHttpClient();
		for (int i = 0; i < 5; i++) {
			try {
				http.send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.discarding());
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	// The web tier's health check finds the app tier back within its interval (2 s).
	private void awaitWebTierUsingAppTier() {
		HttpClient http = HttpClient.newHttpClient();
		HttpRequest probe = HttpRequest.newBuilder(URI.create(webUrl() + "/api/books?size=1")).build();
		await("the web tier finds the restarted app tier").atMost(Duration.ofSeconds(20))
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(200))
			.ignoreExceptionsInstanceOf(IOException.class)
			.until(() -> http.send(probe, BodyHandlers.discarding()).statusCode() == 200);
	}

	private ConfigurableApplicationContext startAppTier(int port) {
		// The test classpath is the web tier's: without these exclusions the app tier
		// would pick up Spring Security (and ask for a login) and the web tier's load
		// balancer.
		return new SpringApplicationBuilder(AppTierApplication.class).run("--server.port=" + port,
				"--management.server.port=0", "--spring.config.location=" + appTierSettings(),
				"--spring.autoconfigure.exclude=" + String.join(",", WEB_TIER_ONLY),
				"--tierstack.node.name=" + APP_NODE, "--spring.datasource.url=" + this.db.jdbcUrl(),
				"--spring.datasource.username=" + DbTierContainer.APP_USER,
				"--spring.datasource.password=" + DbTierContainer.APP_PASSWORD,
				"--tierstack.tracing.zipkin-endpoint=" + this.zipkin.endpoint());
	}

	/**
	 * The app tier's settings file, in the app tier's own jar (or classes directory):
	 * under its name, {@code application.properties}, this class path has the web tier's
	 * test settings first.
	 */
	private static String appTierSettings() {
		URL codeSource = AppTierApplication.class.getProtectionDomain().getCodeSource().getLocation();
		String location = codeSource.toString();
		return location.endsWith(".jar") ? "jar:" + location + "!/application.properties"
				: location + "application.properties";
	}

	private static int port(ConfigurableApplicationContext context) {
		return ((WebServerApplicationContext) context).getWebServer().getPort();
	}

}
