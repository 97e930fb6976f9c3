package dev.tierstack.db;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migrations, applied by Flyway as the owner role, and the seed catalog they leave.
 */
@EnabledIfDockerAvailable
class MigrationsIT {

	@Test
	void migrationsAreAppliedByTheOwnerIntoTheBookshopSchema() throws Exception {
		Flyway flyway = MigratedDatabase.flyway(MigratedDatabase.container());

		MigrationInfo[] applied = flyway.info().applied();

		assertThat(applied).extracting((migration) -> migration.getVersion().getVersion())
			.containsExactly("1", "2", "3", "4", "5", "6");
		assertThat(applied).allSatisfy((migration) -> {
			assertThat(migration.getState()).isEqualTo(MigrationState.SUCCESS);
			assertThat(migration.getInstalledBy()).isEqualTo(DbTierContainer.OWNER_USER);
		});
		for (MigrationInfo migration : applied) {
			System.out.printf("migration V%s (%s) took %d ms%n", migration.getVersion(), migration.getDescription(),
					migration.getExecutionTime());
		}
		try (Connection owner = MigratedDatabase.owner()) {
			assertThat(Sql.column(owner,
					"SELECT tablename || ':' || tableowner FROM pg_tables WHERE schemaname = 'bookshop' ORDER BY 1"))
				.containsExactly("book:tierstack_owner", "flyway_schema_history:tierstack_owner",
						"order_line:tierstack_owner", "purchase_order:tierstack_owner");
			assertThat(
					Sql.single(owner, "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'pg_trgm'"))
				.isEqualTo("bookshop");
		}
	}

	/**
	 * A database made before the runtime role's rights were narrowed (default privileges
	 * gave it every row statement on every table) ends with the same rights as a new one.
	 */
	@Test
	void anOlderDatabaseEndsWithTheRuntimeRolesNarrowRights() throws Exception {
		try (DbTierContainer older = new DbTierContainer()) {
			older.start();
			Flyway.configure()
				.configuration(MigratedDatabase.flyway(older).getConfiguration())
				.target("5")
				.load()
				.migrate();
			try (Connection owner = DriverManager.getConnection(older.jdbcUrl(), DbTierContainer.OWNER_USER,
					DbTierContainer.OWNER_PASSWORD); Statement jdbc = owner.createStatement()) {
				jdbc.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON book, purchase_order, order_line TO "
						+ DbTierContainer.APP_USER);
				jdbc.execute(
						"ALTER DEFAULT PRIVILEGES IN SCHEMA bookshop GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "
								+ DbTierContainer.APP_USER);
				MigratedDatabase.flyway(older).migrate();
				String grants = """
						SELECT table_name || ':' || privilege_type FROM information_schema.role_table_grants
						WHERE grantee = '%s' AND table_schema = 'bookshop' ORDER BY 1"""
					.formatted(DbTierContainer.APP_USER);
				try (Connection current = MigratedDatabase.owner()) {
					assertThat(Sql.column(owner, grants)).isEqualTo(Sql.column(current, grants))
						.containsExactly("book:SELECT", "order_line:INSERT", "order_line:SELECT",
								"purchase_order:INSERT", "purchase_order:SELECT");
				}
				assertThat(Sql.column(owner, """
						SELECT count(*) FROM pg_default_acl d, aclexplode(d.defaclacl) a
						WHERE a.grantee = '%s'::regrole""".formatted(DbTierContainer.APP_USER))).containsExactly("0");
			}
		}
	}

	@Test
	void migratingAgainChangesNothing() {
		Flyway flyway = MigratedDatabase.flyway(MigratedDatabase.container());

		assertThat(flyway.migrate().migrationsExecuted).isZero();
		assertThat(flyway.validateWithResult().validationSuccessful).isTrue();
	}

	@Test
	void seedHoldsAtLeastTenThousandBooks() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(Long.parseLong(Sql.single(app, "SELECT count(*) FROM book"))).isGreaterThanOrEqualTo(10_000);
		}
	}

	@Test
	void seedIsTheSameOnEveryDatabase() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			// A digest of every seeded value: any change to the generator shows up here.
			assertThat(Sql.single(app, """
					SELECT md5(string_agg(concat_ws('|', isbn, title, author, published_year, price, stock), E'\\n'
					                      ORDER BY isbn))
					FROM book""")).isEqualTo("aa3afa2c4520605487c5d34cda683782");
			assertThat(Sql.column(app, """
					SELECT concat_ws('|', isbn, title, author, published_year, price, stock)
					FROM book WHERE isbn IN ('9781900000017', '9781900000970', '9781900050005', '9781900100007')
					ORDER BY isbn""")).containsExactly("9781900000017|Garden of the North|Maya Rossi|1957|33.99|32",
					"9781900000970|Voyage of the Sea|Omar Petrov|1954|11.99|0",
					"9781900050005|The Wild Lighthouse|Hiro Gomez|2000|12.99|1",
					"9781900100007|The Summer Cathedral|Paula Varga|1975|20.99|1");
		}
	}

	@Test
	void everySeededIsbnCarriesAValidCheckDigit() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			List<String> isbns = Sql.column(app, "SELECT isbn FROM book");

			assertThat(isbns).hasSizeGreaterThanOrEqualTo(10_000).allSatisfy((isbn) -> {
				assertThat(isbn).matches("97[89][0-9]{10}");
				assertThat(isbn.charAt(12) - '0').as(isbn).isEqualTo(isbn13CheckDigit(isbn));
			});
		}
	}

	@Test
	void seedValuesAreWithinTheirRanges() throws Exception {
		try (Connection app = MigratedDatabase.app()) {
			assertThat(new BigDecimal(Sql.single(app, "SELECT min(price) FROM book"))).isEqualByComparingTo("4.49");
			assertThat(new BigDecimal(Sql.single(app, "SELECT max(price) FROM book"))).isEqualByComparingTo("49.99");
			assertThat(Sql.single(app, "SELECT min(published_year) || '-' || max(published_year) FROM book"))
				.isEqualTo("1950-2024");
			assertThat(Sql.single(app, "SELECT count(*) FROM book WHERE stock = 0")).isEqualTo("103");
			assertThat(Sql.single(app, "SELECT max(stock) FROM book")).isEqualTo("200");
			assertThat(Sql.single(app, "SELECT count(DISTINCT author) FROM book")).isEqualTo("1591");
		}
	}

	private static int isbn13CheckDigit(String isbn) {
		int sum = 0;
		for (int i = 0; i < 12; i++) {
			sum += (isbn.charAt(i) - '0') * ((i % 2 == 0) ? 1 : 3);
		}
		return (10 - sum % 10) % 10;
	}

}
