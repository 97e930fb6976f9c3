package dev.tierstack.app.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import net.ttddyy.observation.boot.autoconfigure.DataSourceObservationBeanPostProcessor;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;

/**
 * With {@code APP_DB_READ_URL} set, read-only transactions (the catalog) run on a read
 * replica and everything else on the primary. The connection is taken lazily, at the
 * first statement, when the transaction's read-only flag is known.
 *
 * <p>
 * Orders are read in read-write transactions on purpose: a client that has just placed an
 * order, and an idempotent retry, must see it, whatever the replica's lag. The replica is
 * not part of readiness: a node whose replica is down still takes orders. A read whose
 * connection fails (its member died, hangs, or is cut off) has the read pool's
 * connections replaced ({@link ReadPoolEviction}); a read that gets no connection of the
 * read pool in time goes to the primary, and so do the reads after it for a while
 * ({@link ReplicaFallback}).
 *
 * <p>
 * The choice is made when the bean is created, not by a condition on the configuration
 * class: the image's ahead-of-time processed context is built once, without the
 * deployment's environment, and must serve both cases.
 *
 * <p>
 * SQL observations (datasource-micrometer) wrap each pool, not the routing proxy: they
 * read a new connection's metadata at once, which would make the proxy take a primary
 * connection before the transaction has said it is read-only. The {@code dataSource} bean
 * is therefore excluded from their post-processor
 * ({@code jdbc.excluded-data-source-bean-names}).
 */
@Configuration(proxyBeanMethods = false)
class ReadReplicaConfiguration {

	@Bean
	DataSource dataSource(DataSourceProperties properties, Environment environment,
			ObjectProvider<DataSourceObservationBeanPostProcessor> observations) {
		HikariDataSource primary = pool(properties, properties.determineUrl(), "app", environment);
		DataSource observedPrimary = observed(primary, observations);
		DataSource primaryTarget = new WithNetworkTimeout(observedPrimary,
				environment.getProperty("app.db.write-network-timeout", Duration.class, Duration.ZERO));
		String replicaUrl = environment.getProperty("app.db.read-url", "");
		if (replicaUrl.isBlank()) {
			return primaryTarget;
		}
		HikariDataSource replica = pool(properties, replicaUrl, "app-read", environment);
		replica.setReadOnly(true);
		replica.setMinimumIdle(environment.getProperty("app.db.read-minimum-idle", Integer.class, 2));
		replica.setConnectionTimeout(
				environment.getProperty("app.db.read-connection-timeout", Duration.class, Duration.ofSeconds(1))
					.toMillis());
		replica.setMaxLifetime(
				environment.getProperty("app.db.read-max-lifetime", Duration.class, Duration.ofMinutes(30)).toMillis());
		// Short-lived connections by design (the lifetime brings reads back to a replica
		// that is back), so always no keep-alive probes and no retiring of idle ones:
		// Hikari switches both off itself, with a warning, near a lifetime this short.
		replica.setKeepaliveTime(0);
		replica.setIdleTimeout(0);
		Duration interval = environment.getProperty("app.db.read-eviction-interval", Duration.class,
				Duration.ofSeconds(10));
		ReadPoolEviction eviction = new ReadPoolEviction(() -> evictConnections(replica), interval,
				InstantSource.system());
		replica.setExceptionOverride(eviction);
		ReplicaFallback replicaTarget = new ReplicaFallback(observed(replica, observations), observedPrimary,
				() -> eviction.replaceConnections("no connection within the read pool's timeout"),
				() -> hasIdleConnections(replica), interval, InstantSource.system());
		primary.setExceptionOverride(replicaTarget.primaryFailures());
		return new ReadWriteDataSource(primary, replica, primaryTarget, replicaTarget);
	}

	/** Whether the pool has a connection ready (none before it has started). */
	private static boolean hasIdleConnections(HikariDataSource pool) {
		HikariPoolMXBean connections = pool.getHikariPoolMXBean();
		return connections != null && connections.getIdleConnections() > 0;
	}

	private static void evictConnections(HikariDataSource pool) {
		HikariPoolMXBean connections = pool.getHikariPoolMXBean();
		if (connections != null) {
			connections.softEvictConnections();
		}
	}

	private static DataSource observed(HikariDataSource pool,
			ObjectProvider<DataSourceObservationBeanPostProcessor> observations) {
		DataSourceObservationBeanPostProcessor observation = observations.getIfAvailable();
		return (observation != null) ? (DataSource) observation.postProcessAfterInitialization(pool, pool.getPoolName())
				: pool;
	}

	private static HikariDataSource pool(DataSourceProperties properties, String url, String name,
			Environment environment) {
		HikariDataSource pool = properties.initializeDataSourceBuilder().type(HikariDataSource.class).url(url).build();
		Binder.get(environment).bind("spring.datasource.hikari", Bindable.ofInstance(pool));
		pool.setPoolName(name);
		return pool;
	}

	/**
	 * Gives each connection it hands out a network timeout of its own: the driver's
	 * {@code socketTimeout} bounds the login, so that a member that hangs costs a new
	 * connection one second, while a statement may wait for a lock or run until the
	 * server's own timeouts end it. The pool restores its default when the connection
	 * returns. Zero leaves the driver's.
	 */
	static final class WithNetworkTimeout extends DelegatingDataSource implements AutoCloseable {

		private final int millis;

		WithNetworkTimeout(DataSource target, Duration timeout) {
			super(target);
			this.millis = Math.toIntExact(timeout.toMillis());
		}

		@Override
		public Connection getConnection() throws SQLException {
			Connection connection = super.getConnection();
			if (this.millis > 0) {
				try {
					connection.setNetworkTimeout(Runnable::run, this.millis);
				}
				catch (SQLException | RuntimeException ex) {
					connection.close();
					throw ex;
				}
			}
			return connection;
		}

		/** Closes the pool under it, when this is the application's DataSource bean. */
		@Override
		public void close() throws Exception {
			if (getTargetDataSource() instanceof AutoCloseable pool) {
				pool.close();
			}
		}

	}

	/**
	 * The application's only DataSource bean: the primary, or the replica for read-only
	 * transactions. Health checks and plain JDBC use the primary.
	 */
	static final class ReadWriteDataSource extends LazyConnectionDataSourceProxy implements DisposableBean {

		private final HikariDataSource primary;

		private final HikariDataSource replica;

		ReadWriteDataSource(HikariDataSource primary, HikariDataSource replica, DataSource primaryTarget,
				DataSource replicaTarget) {
			super(primaryTarget);
			setReadOnlyDataSource(replicaTarget);
			this.primary = primary;
			this.replica = replica;
		}

		@Override
		public void destroy() {
			this.replica.close();
			this.primary.close();
		}

	}

}
