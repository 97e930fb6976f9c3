package dev.tierstack.app;

import dev.tierstack.app.system.MigrateCommand;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The app tier: the bookshop's REST API and every business rule. With the argument
 * {@code migrate} it applies the database migrations instead, and exits.
 */
@SpringBootApplication
public class AppTierApplication {

	public static void main(String[] args) {
		if (MigrateCommand.isRequested(args)) {
			System.exit(MigrateCommand.run(args));
		}
		SpringApplication.run(AppTierApplication.class, args);
	}

}
