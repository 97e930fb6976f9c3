package dev.tierstack.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

import dev.tierstack.db.testsupport.DbTierContainer;
import org.flywaydb.core.Flyway;

/**
 * The db-tier container shared by the integration tests of one JVM, migrated once by
 * Flyway as the owner role, as the app tier's {@code migrate} mode does it. Tests that
 * write roll their transaction back, so that the seed stays as the migrations made it.
 */
final class MigratedDatabase {

	static final String SCHEMA = "bookshop";

	private static DbTierContainer container;

	private MigratedDatabase() {
	}

	static synchronized DbTierContainer container() {
		if (container == null) {
			DbTierContainer started = new DbTierContainer();
			started.start();
			flyway(started).migrate();
			container = started;
		}
		return container;
	}

	static Flyway flyway(DbTierContainer db) {
		return Flyway.configure()
			.dataSource(db.jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD)
			.schemas(SCHEMA)
			.locations("classpath:db/migration")
			.load();
	}

	static Connection owner() throws SQLException {
		return DriverManager.getConnection(container().jdbcUrl(), DbTierContainer.OWNER_USER,
				DbTierContainer.OWNER_PASSWORD);
	}

	static Connection app() throws SQLException {
		return DriverManager.getConnection(container().jdbcUrl(), DbTierContainer.APP_USER,
				DbTierContainer.APP_PASSWORD);
	}

}
