package dev.tierstack.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The app tier: the bookshop's REST API and every business rule.
 */
@SpringBootApplication
public class AppTierApplication {

	public static void main(String[] args) {
		SpringApplication.run(AppTierApplication.class, args);
	}

}
