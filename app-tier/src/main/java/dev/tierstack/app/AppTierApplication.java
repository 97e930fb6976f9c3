package dev.tierstack.app;

import java.security.Security;

import dev.tierstack.app.system.MigrateCommand;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.resilience.annotation.EnableResilientMethods;

/**
 * The app tier: the bookshop's REST API and every business rule. With the argument
 * {@code migrate} it applies the database migrations instead, and exits.
 */
// No error page: what never reaches a controller is rendered as a problem by Tomcat's
// error
// report valve (ProblemErrorReportValve), not by an error controller.
@SpringBootApplication(exclude = ErrorMvcAutoConfiguration.class)
@EnableResilientMethods
public class AppTierApplication {

	public static void main(String[] args) {
		// The JVM keeps DNS answers for 30 s (and failed lookups for 10 s), read once at
		// its first lookup: a database member that died, or came back, should be seen
		// within the driver's own recheck interval.
		if (Security.getProperty("networkaddress.cache.ttl") == null) {
			Security.setProperty("networkaddress.cache.ttl", "2");
			Security.setProperty("networkaddress.cache.negative.ttl", "1");
		}
		if (MigrateCommand.isRequested(args)) {
			System.exit(MigrateCommand.run(args));
		}
		SpringApplication.run(AppTierApplication.class, args);
	}

}
