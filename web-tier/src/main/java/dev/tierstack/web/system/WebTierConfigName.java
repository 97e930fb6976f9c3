package dev.tierstack.web.system;

import java.util.Map;

import dev.tierstack.web.WebTierApplication;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Makes the web tier read {@code web-tier.yaml} instead of {@code application.*}. The
 * end-to-end tests run the app tier in the same JVM, with its jar on the classpath: with
 * one shared file name each tier would read the other's settings. Only applications
 * started from {@link WebTierApplication} are affected; {@code SPRING_CONFIG_NAME} still
 * wins.
 */
class WebTierConfigName implements EnvironmentPostProcessor, Ordered {

	static final String CONFIG_NAME = "web-tier";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (application.getAllSources().contains(WebTierApplication.class)) {
			environment.getPropertySources()
				.addLast(new MapPropertySource("webTierConfigName", Map.of("spring.config.name", CONFIG_NAME)));
		}
	}

	@Override
	public int getOrder() {
		return ConfigDataEnvironmentPostProcessor.ORDER - 1;
	}

}
