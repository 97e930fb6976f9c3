package dev.tierstack.app.system;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.aot.AotDetector;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.SpringProperties;

/**
 * The one-shot {@code migrate} mode, run once per deploy before the new app nodes start:
 * applies the db-tier's Flyway migrations as the schema owner and exits. The running app
 * never migrates, because its runtime role may not change the schema.
 *
 * <p>
 * Only configuration properties and logging are set up: no web server, no JPA, no pool.
 */
public final class MigrateCommand {

	public static final String ARGUMENT = "migrate";

	private static final Logger log = LoggerFactory.getLogger(MigrateCommand.class);

	private MigrateCommand() {
	}

	public static boolean isRequested(String[] args) {
		return args.length > 0 && ARGUMENT.equals(args[0]);
	}

	/**
	 * Runs the migrations.
	 * @param args the command line
	 * @return the process exit status: 0 when the schema is up to date
	 */
	public static int run(String[] args) {
		// The image starts the JVM with spring.aot.enabled=true for the app's
		// ahead-of-time processed context; this small one was never processed.
		SpringProperties.setProperty(AotDetector.AOT_ENABLED, "false");
		MigrateSettings settings;
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(MigrateConfiguration.class)
			.web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.registerShutdownHook(false)
			.run(args)) {
			settings = context.getBean(MigrateSettings.class);
		}
		catch (RuntimeException ex) {
			System.err.println("migrate: invalid settings: " + rootMessage(ex));
			return 2;
		}
		return migrate(settings);
	}

	static int migrate(MigrateSettings settings) {
		try {
			log.info("Migrating schema {} at {} as {}", settings.schema(), settings.url(), settings.user());
			MigrateResult result = Flyway.configure()
				.dataSource(settings.url(), settings.user(), settings.password())
				.schemas(settings.schema())
				.locations(settings.locations())
				.load()
				.migrate();
			log.info("Schema {} is at version {} ({} migrations applied now)", settings.schema(),
					(result.targetSchemaVersion != null) ? result.targetSchemaVersion : result.initialSchemaVersion,
					result.migrationsExecuted);
			return 0;
		}
		catch (FlywayException ex) {
			System.err.println("migrate: failed: " + rootMessage(ex));
			return 1;
		}
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String message = (ex.getMessage() != null) ? ex.getMessage().strip() : ex.getClass().getSimpleName();
		if (root != ex && root.getMessage() != null && !message.contains(root.getMessage())) {
			message += " (" + root.getMessage().strip() + ")";
		}
		return message;
	}

	/**
	 * Where and as whom to migrate.
	 *
	 * @param url the JDBC URL, by default the app's
	 * @param user the schema owner
	 * @param password the owner's password
	 * @param schema the schema Flyway manages and keeps its history in
	 * @param locations where the migrations are: the db-tier jar on the class path
	 */
	@ConfigurationProperties("migrate")
	record MigrateSettings(String url, String user, String password, String schema, String[] locations) {
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(MigrateSettings.class)
	static class MigrateConfiguration {

	}

}
