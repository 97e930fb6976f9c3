package dev.tierstack.db;

import java.sql.DriverManager;

import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * pg_hba.conf as the entrypoint writes it: the two roles, with their passwords, from the
 * allowed networks, to the tierstack database; nothing else over TCP.
 */
@EnabledIfDockerAvailable
class AccessControlIT {

	private static final String REJECTED_BY_PG_HBA = "28000";

	private static final String WRONG_PASSWORD = "28P01";

	@Test
	void superuserCannotConnectOverTcp() {
		assertRejected(MigratedDatabase.container().jdbcUrl(), "postgres", "postgres", REJECTED_BY_PG_HBA);
	}

	@Test
	void rolesReachOnlyTheTierstackDatabase() {
		String otherDatabase = MigratedDatabase.container().jdbcUrl().replace("/tierstack", "/postgres");

		assertRejected(otherDatabase, DbTierContainer.APP_USER, DbTierContainer.APP_PASSWORD, REJECTED_BY_PG_HBA);
		assertRejected(otherDatabase, DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD, REJECTED_BY_PG_HBA);
	}

	@Test
	void wrongPasswordIsRejected() {
		assertRejected(MigratedDatabase.container().jdbcUrl(), DbTierContainer.APP_USER, "not-the-password",
				WRONG_PASSWORD);
		assertRejected(MigratedDatabase.container().jdbcUrl(), DbTierContainer.APP_USER, DbTierContainer.OWNER_PASSWORD,
				WRONG_PASSWORD);
	}

	@Test
	void clientsOutsideTheAllowedNetworksAreRejected() {
		// Connections from the host arrive from the Docker bridge's gateway, which is not
		// in this network.
		try (DbTierContainer narrow = new DbTierContainer().withEnv("DB_ALLOWED_NETWORKS", "10.254.0.0/16")) {
			narrow.start();

			assertRejected(narrow.jdbcUrl(), DbTierContainer.APP_USER, DbTierContainer.APP_PASSWORD,
					REJECTED_BY_PG_HBA);
			assertRejected(narrow.jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD,
					REJECTED_BY_PG_HBA);
		}
	}

	private static void assertRejected(String url, String user, String password, String sqlState) {
		assertThatExceptionOfType(PSQLException.class)
			.isThrownBy(() -> DriverManager.getConnection(url, user, password).close())
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo(sqlState));
	}

}
