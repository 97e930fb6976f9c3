package dev.tierstack.app;

import dev.tierstack.db.testsupport.DbTierContainer;
import org.flywaydb.core.Flyway;

import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The one PostgreSQL container of a test JVM: the db-tier image, migrated as the schema
 * owner (as the migrate mode does on a deploy), used by the app as the runtime role. Test
 * contexts that name this initializer share one cached Spring context per kind.
 */
public class TestDatabase implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		DbTierContainer db = container();
		TestPropertyValues
			.of("spring.datasource.url=" + db.jdbcUrl(), "spring.datasource.username=" + DbTierContainer.APP_USER,
					"spring.datasource.password=" + DbTierContainer.APP_PASSWORD)
			.applyTo(context);
	}

	public static DbTierContainer container() {
		return Holder.CONTAINER;
	}

	private static final class Holder {

		// Started on first use and left to the JVM's end: every test class reuses it.
		static final DbTierContainer CONTAINER = start();

		private static DbTierContainer start() {
			DbTierContainer db = new DbTierContainer();
			db.start();
			Flyway.configure()
				.dataSource(db.jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD)
				.schemas("bookshop")
				.locations("classpath:db/migration")
				.load()
				.migrate();
			return db;
		}

	}

}
