package dev.tierstack.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.testcontainers.containers.Network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@code DB_MODE=replica}: a read-only copy of the primary that follows it by streaming
 * replication, for the app tier's optional read URL.
 */
@EnabledIfDockerAvailable
class StreamingReplicaIT {

	private static final String READ_ONLY_TRANSACTION = "25006";

	@Test
	void replicaFollowsThePrimaryAndRefusesWrites() throws Exception {
		try (Network network = Network.newNetwork();
				DbTierContainer primary = new DbTierContainer().withReplicationRole()
					.withNetwork(network)
					.withNetworkAliases("db-primary");
				DbTierContainer replica = new DbTierContainer().asReplicaOf("db-primary").withNetwork(network)) {
			primary.start();
			replica.start();

			MigratedDatabase.flyway(primary).migrate();

			try (Connection app = awaitBooksOn(replica)) {
				assertThat(Sql.single(app, "SELECT pg_is_in_recovery()")).isEqualTo("t");
				assertThatExceptionOfType(PSQLException.class)
					.isThrownBy(() -> app.createStatement().execute("UPDATE book SET stock = stock + 1"))
					.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo(READ_ONLY_TRANSACTION));
			}
			try (Connection owner = DriverManager.getConnection(primary.jdbcUrl(), DbTierContainer.OWNER_USER,
					DbTierContainer.OWNER_PASSWORD); Statement statement = owner.createStatement()) {
				statement.execute("UPDATE book SET stock = 7 WHERE isbn = '9781900000017'");
			}
			try (Connection app = DriverManager.getConnection(replica.jdbcUrl(), DbTierContainer.APP_USER,
					DbTierContainer.APP_PASSWORD)) {
				awaitValue(app, "SELECT stock FROM book WHERE isbn = '9781900000017'", "7");
			}
			// The replication password is read from a file, not kept in the data
			// directory.
			assertThat(replica.execInContainer("cat", "/var/lib/postgresql/data/postgresql.auto.conf").getStdout())
				.contains("primary_conninfo")
				.doesNotContain(DbTierContainer.REPLICATION_PASSWORD);
		}
	}

	private static Connection awaitBooksOn(DbTierContainer replica) throws Exception {
		Connection app = DriverManager.getConnection(replica.jdbcUrl(), DbTierContainer.APP_USER,
				DbTierContainer.APP_PASSWORD);
		// The seed is one transaction: no book table yet, or an empty one, or all of
		// them.
		awaitValue(app, "SELECT count(*) FROM book", "10000");
		return app;
	}

	private static void awaitValue(Connection connection, String sql, String expected) {
		// Until then, the table may not exist on the replica yet.
		await("replicated within 60 s: " + sql).atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(100))
			.ignoreExceptionsInstanceOf(SQLException.class)
			.until(() -> Sql.single(connection, sql), expected::equals);
	}

}
