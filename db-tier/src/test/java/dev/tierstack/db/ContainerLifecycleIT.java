package dev.tierstack.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The entrypoint across the container's life: first start, health check, graceful stop,
 * restart on the existing data, and refusing to start without usable secrets.
 */
@EnabledIfDockerAvailable
class ContainerLifecycleIT {

	@Test
	void restartOnExistingDataKeepsTheDataAndStartsWithoutInitialising() throws Exception {
		try (DbTierContainer db = new DbTierContainer()) {
			long started = System.nanoTime();
			db.start();
			long firstStartMillis = millisSince(started);
			awaitHealthy(db);
			try (Connection owner = DriverManager.getConnection(db.jdbcUrl(), DbTierContainer.OWNER_USER,
					DbTierContainer.OWNER_PASSWORD); Statement statement = owner.createStatement()) {
				statement.execute("CREATE TABLE survivor (note text)");
				statement.execute("INSERT INTO survivor VALUES ('written before the restart')");
			}

			DockerClient docker = db.getDockerClient();
			long stopping = System.nanoTime();
			docker.stopContainerCmd(db.getContainerId()).withTimeout(30).exec();
			long stopMillis = millisSince(stopping);
			InspectContainerResponse stopped = docker.inspectContainerCmd(db.getContainerId()).exec();
			// Exit code 0 and a shutdown checkpoint: a clean stop, not a kill after the
			// timeout.
			assertThat(stopped.getState().getExitCodeLong()).isZero();
			assertThat(db.getLogs()).contains("database system is shut down");
			assertThat(stopMillis).isLessThan(10_000);

			long restarting = System.nanoTime();
			docker.startContainerCmd(db.getContainerId()).exec();
			String url = awaitReadyAfterRestart(db);
			long restartMillis = millisSince(restarting);

			try (Connection app = DriverManager.getConnection(url, DbTierContainer.APP_USER,
					DbTierContainer.APP_PASSWORD)) {
				assertThat(Sql.single(app, "SELECT count(*) FROM pg_tables WHERE tablename = 'survivor'"))
					.isEqualTo("1");
			}
			try (Connection owner = DriverManager.getConnection(url, DbTierContainer.OWNER_USER,
					DbTierContainer.OWNER_PASSWORD)) {
				assertThat(Sql.single(owner, "SELECT note FROM survivor")).isEqualTo("written before the restart");
			}
			assertThat(db.getLogs()).containsOnlyOnce("tierstack-db: initialised database")
				.contains("tierstack-db: existing data directory");
			System.out.printf("db-tier container: first start (with init) to ready %d ms, stop %d ms, "
					+ "restart to ready %d ms%n", firstStartMillis, stopMillis, restartMillis);
		}
	}

	@Test
	void missingPasswordFileStopsTheContainerWithAReadableMessage() {
		DbTierContainer db = new DbTierContainer().withEnv("DB_APP_PASSWORD_FILE", "/run/secrets/nothing-here");

		assertThat(runUntilExit(db))
			.contains("tierstack-db: ERROR: DB_APP_PASSWORD: password file /run/secrets/nothing-here does not exist");
	}

	@Test
	void emptyPasswordFileStopsTheContainerWithAReadableMessage() {
		DbTierContainer db = new DbTierContainer().withCopyToContainer(Transferable.of("\n", 0444),
				"/run/secrets/db_owner_password");

		assertThat(runUntilExit(db))
			.contains("tierstack-db: ERROR: DB_OWNER_PASSWORD: password file /run/secrets/db_owner_password is empty");
	}

	@Test
	void unreadablePasswordFileStopsTheContainerWithAReadableMessage() {
		// A root-owned secret with mode 0400 cannot be read by the postgres user.
		DbTierContainer db = new DbTierContainer()
			.withCopyToContainer(Transferable.of(DbTierContainer.APP_PASSWORD, 0400), "/run/secrets/db_app_password");

		assertThat(runUntilExit(db)).contains("tierstack-db: ERROR: DB_APP_PASSWORD: password file")
			.contains("is not readable by uid 999");
	}

	/**
	 * Starts the container, waits until it exits on its own and returns its log. No port
	 * is published: Testcontainers waits up to 5 s for a container's published ports to
	 * show, and a container that has already exited shows none (one run failed so).
	 */
	private static String runUntilExit(DbTierContainer db) {
		db.setExposedPorts(List.of());
		db.withStartupCheckStrategy(new ExitedStartupCheck().withTimeout(Duration.ofSeconds(60)))
			.waitingFor(new AbstractWaitStrategy() {
				@Override
				protected void waitUntilReady() {
				}
			});
		try (db) {
			db.start();
			assertThat(db.getCurrentContainerInfo().getState().getExitCodeLong()).isEqualTo(1);
			assertThat(db.getLogs()).doesNotContain("ready to accept connections");
			return db.getLogs();
		}
	}

	private static void awaitHealthy(DbTierContainer db) {
		Wait.forHealthcheck().withStartupTimeout(Duration.ofSeconds(30)).waitUntilReady(db);
	}

	/**
	 * Waits until the restarted server accepts the runtime role, and returns the JDBC
	 * URL: Docker publishes the port anew on a restart.
	 */
	private static String awaitReadyAfterRestart(DbTierContainer db) {
		return await("ready within 60 s after the restart").atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(50))
			.ignoreExceptionsInstanceOf(SQLException.class)
			.until(() -> acceptsTheRuntimeRole(db), Objects::nonNull);
	}

	/**
	 * The JDBC URL of the server's published port once the runtime role can log in there,
	 * null while the port is not published yet.
	 */
	private static String acceptsTheRuntimeRole(DbTierContainer db) throws SQLException {
		InspectContainerResponse info = db.getDockerClient().inspectContainerCmd(db.getContainerId()).exec();
		var bindings = info.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(DbTierContainer.PORT));
		if (bindings == null || bindings.length == 0) {
			return null;
		}
		String url = "jdbc:postgresql://" + db.getHost() + ":" + bindings[0].getHostPortSpec() + "/"
				+ DbTierContainer.DATABASE;
		try (Connection ignored = DriverManager.getConnection(url, DbTierContainer.APP_USER,
				DbTierContainer.APP_PASSWORD)) {
			return url;
		}
	}

	private static long millisSince(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
	}

	/** Start-up is complete once the container has exited, whatever its exit code. */
	private static final class ExitedStartupCheck extends StartupCheckStrategy {

		@Override
		public StartupStatus checkStartupState(DockerClient dockerClient, String containerId) {
			InspectContainerResponse.ContainerState state = getCurrentState(dockerClient, containerId);
			return Boolean.TRUE.equals(state.getRunning()) ? StartupStatus.NOT_YET_KNOWN : StartupStatus.SUCCESSFUL;
		}

	}

}
