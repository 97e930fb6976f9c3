package dev.tierstack.app.system;

import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import net.ttddyy.observation.boot.autoconfigure.DataSourceObservationBeanPostProcessor;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;

/**
 * With {@code APP_DB_READ_URL} set, read-only transactions (the catalog) run on a read
 * replica and everything else on the primary. The connection is taken lazily, at the
 * first statement, when the transaction's read-only flag is known.
 *
 * <p>
 * Orders are read in read-write transactions on purpose: a client that has just placed an
 * order, and an idempotent retry, must see it, whatever the replica's lag. The replica is
 * not part of readiness: a node whose replica is down still takes orders.
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
		String replicaUrl = environment.getProperty("app.db.read-url", "");
		if (replicaUrl.isBlank()) {
			return observed(primary, observations);
		}
		HikariDataSource replica = pool(properties, replicaUrl, "app-read", environment);
		replica.setReadOnly(true);
		replica.setMinimumIdle(environment.getProperty("app.db.read-minimum-idle", Integer.class, 2));
		replica.setConnectionTimeout(
				environment.getProperty("app.db.read-connection-timeout", Duration.class, Duration.ofSeconds(3))
					.toMillis());
		replica.setMaxLifetime(
				environment.getProperty("app.db.read-max-lifetime", Duration.class, Duration.ofMinutes(30)).toMillis());
		return new ReadWriteDataSource(primary, replica, observed(primary, observations),
				observed(replica, observations));
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
