package dev.tierstack.app.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code java -jar app-tier-exec.jar migrate}, the real jar in its own process, against
 * an empty database: the one test that needs a database of its own, since every other
 * test shares one that is already migrated.
 */
@EnabledIfDockerAvailable
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrateModeIT {

	private static final Path JAR = Path.of("target", "app-tier-exec.jar");

	private static final int MIGRATIONS = migrationsOnTheClassPath();

	private static DbTierContainer db;

	@TempDir
	static Path secrets;

	@BeforeAll
	static void startEmptyDatabase() {
		assertThat(JAR).as("the runnable jar (built by the package phase)").isRegularFile();
		db = new DbTierContainer();
		db.start();
	}

	@AfterAll
	static void stopDatabase() {
		if (db != null) {
			db.stop();
		}
	}

	private static int migrationsOnTheClassPath() {
		try {
			return new PathMatchingResourcePatternResolver().getResources("classpath*:db/migration/V*.sql").length;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Runs the migration with the owner's password in a secret file, as Compose mounts
	 * it, and a wrong one in the environment, which the file overrides.
	 */
	private static Result migrate(String ownerPassword) throws IOException, InterruptedException {
		// A trailing newline, as `echo secret > file` writes it: not part of the
		// password.
		Files.writeString(secrets.resolve("migrate.password"), ownerPassword + "\n", StandardCharsets.UTF_8);
		String java = ProcessHandle.current().info().command().orElse("java");
		ProcessBuilder builder = new ProcessBuilder(java, "-jar", JAR.toString(), "migrate").redirectErrorStream(true);
		Map<String, String> env = builder.environment();
		env.put("APP_DB_URL", db.jdbcUrl());
		env.put("SPRING_CONFIG_IMPORT", "configtree:" + secrets + "/");
		env.put("MIGRATE_DB_PASSWORD", "not-the-password");
		env.remove("MIGRATE_DB_URL");
		env.remove("MIGRATE_DB_USER");
		Process process = builder.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("migrate exits by itself").isTrue();
		return new Result(process.exitValue(), output);
	}

	private static List<String> column(String user, String password, String sql) throws SQLException {
		try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), user, password);
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery(sql)) {
			List<String> values = new ArrayList<>();
			while (rows.next()) {
				values.add(rows.getString(1));
			}
			return values;
		}
	}

	@Test
	@Order(1)
	void refusesWithAReadableMessageWhenTheOwnerCannotLogIn() throws Exception {
		Result result = migrate("wrong-password");
		assertThat(result.exitCode()).isNotZero();
		assertThat(result.output()).contains("migrate: failed").contains("password authentication failed");
		assertThat(result.output()).doesNotContain("\tat org.");
		assertThat(column(DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD,
				"SELECT count(*) FROM pg_tables WHERE schemaname = 'bookshop'"))
			.containsExactly("0");
	}

	@Test
	@Order(2)
	void migratesAnEmptyDatabaseAsTheOwner() throws Exception {
		Result result = migrate(DbTierContainer.OWNER_PASSWORD);
		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).contains(MIGRATIONS + " migrations applied now").doesNotContain("Tomcat");
		assertThat(column(DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD,
				"SELECT DISTINCT installed_by || ':' || success FROM bookshop.flyway_schema_history"))
			.containsExactly("tierstack_owner:true");
		assertThat(column(DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD,
				"SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'bookshop'"))
			.containsExactly("tierstack_owner");
		// The runtime role can use what the owner created.
		assertThat(column(DbTierContainer.APP_USER, DbTierContainer.APP_PASSWORD, "SELECT count(*) FROM book"))
			.singleElement()
			.satisfies((count) -> assertThat(Integer.parseInt(count)).isGreaterThanOrEqualTo(10_000));
	}

	@Test
	@Order(3)
	void aSecondRunChangesNothing() throws Exception {
		Result result = migrate(DbTierContainer.OWNER_PASSWORD);
		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).contains("0 migrations applied now");
		assertThat(column(DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD,
				"SELECT count(*) FROM bookshop.flyway_schema_history"))
			.containsExactly(String.valueOf(MIGRATIONS));
	}

	record Result(int exitCode, String output) {
	}

}
