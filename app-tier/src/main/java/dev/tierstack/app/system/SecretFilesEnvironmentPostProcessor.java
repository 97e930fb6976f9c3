package dev.tierstack.app.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Docker and Compose secrets arrive as files: for each secret {@code NAME}, a variable
 * {@code NAME_FILE} names the file, whose trimmed content becomes {@code NAME} and wins
 * over a plain {@code NAME} variable. Passwords thus never have to be in the environment.
 */
class SecretFilesEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	static final List<String> SECRETS = List.of("APP_DB_PASSWORD", "APP_DB_READ_PASSWORD", "MIGRATE_DB_PASSWORD");

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		Map<String, Object> secrets = new LinkedHashMap<>();
		for (String name : SECRETS) {
			String file = environment.getProperty(name + "_FILE");
			if (file != null && !file.isBlank()) {
				secrets.put(name, read(name + "_FILE", file));
			}
		}
		if (!secrets.isEmpty()) {
			environment.getPropertySources().addFirst(new MapPropertySource("secretFiles", secrets));
		}
	}

	static String read(String variable, String file) {
		try {
			return Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
		}
		catch (IOException ex) {
			throw new IllegalStateException(variable + ": cannot read the secret file '" + file + "'", ex);
		}
	}

	@Override
	public int getOrder() {
		// After the config files are loaded, so a _FILE setting may come from them too.
		return Ordered.LOWEST_PRECEDENCE;
	}

}
