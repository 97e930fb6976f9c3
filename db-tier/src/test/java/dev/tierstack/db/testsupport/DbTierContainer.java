package dev.tierstack.db.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;

/**
 * The db-tier image (built from {@code db-tier/docker/Dockerfile}) running in a
 * container, with the two roles of the entrypoint: the schema owner and the runtime role.
 */
public class DbTierContainer extends GenericContainer<DbTierContainer> {

	public static final String DATABASE = "tierstack";

	public static final String OWNER_USER = "tierstack_owner";

	public static final String OWNER_PASSWORD = "owner-test-secret";

	public static final String APP_USER = "tierstack_app";

	public static final String APP_PASSWORD = "app-test-secret";

	public static final String REPLICATION_USER = "tierstack_replicator";

	public static final String REPLICATION_PASSWORD = "replication-test-secret";

	public static final int PORT = 5432;

	/** What the final server logs once it accepts connections (a replica: read-only). */
	public static final String READY_LOG_LINE = ".*database system is ready to accept (read-only )?connections.*\\n";

	public DbTierContainer() {
		super(image());
		withExposedPorts(PORT);
		withCopyToContainer(Transferable.of(OWNER_PASSWORD, 0444), "/run/secrets/db_owner_password");
		withCopyToContainer(Transferable.of(APP_PASSWORD, 0444), "/run/secrets/db_app_password");
		// Connections from the host arrive through Docker's bridge gateway.
		withEnv("DB_ALLOWED_NETWORKS", "0.0.0.0/0");
		// The entrypoint's temporary initialisation server logs to a file, so this line
		// appears once per start: on the first start and on a restart with existing data.
		waitingFor(Wait.forLogMessage(READY_LOG_LINE, 1).withStartupTimeout(Duration.ofSeconds(90)));
	}

	/**
	 * Gives this server the replication role on its first start, so that replicas can
	 * follow it.
	 */
	public DbTierContainer withReplicationRole() {
		return withCopyToContainer(Transferable.of(REPLICATION_PASSWORD, 0444), "/run/secrets/db_replication_password");
	}

	/**
	 * Makes this container a streaming replica of the primary that answers as
	 * {@code primaryHost} on a network both containers share.
	 */
	public DbTierContainer asReplicaOf(String primaryHost) {
		return withReplicationRole().withEnv("DB_MODE", "replica").withEnv("DB_PRIMARY_HOST", primaryHost);
	}

	/**
	 * The image under test, built from the db-tier's Dockerfile (a no-op when Docker's
	 * build cache already has it).
	 */
	static ImageFromDockerfile image() {
		Path dir = dbTierDirectory();
		return new ImageFromDockerfile("tierstack/db:" + System.getProperty("tierstack.image.tag", "latest"), false)
			.withFileFromPath(".", dir.resolve("docker"))
			.withBuildImageCmdModifier((cmd) -> cmd.withNetworkMode("host"));
	}

	private static Path dbTierDirectory() {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null) {
			if (Files.isDirectory(dir.resolve("db-tier/docker"))) {
				return dir.resolve("db-tier");
			}
			if (Files.isDirectory(dir.resolve("docker")) && dir.getFileName().toString().equals("db-tier")) {
				return dir;
			}
			dir = dir.getParent();
		}
		throw new IllegalStateException("db-tier/docker not found above " + Path.of("").toAbsolutePath());
	}

	public String jdbcUrl() {
		return "jdbc:postgresql://" + getHost() + ":" + getMappedPort(PORT) + "/" + DATABASE;
	}

}
