package dev.tierstack.app.system;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import dev.tierstack.app.JpaIntegrationTest;
import dev.tierstack.app.catalog.BookRepository;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import jakarta.persistence.EntityManager;
import net.ttddyy.observation.boot.autoconfigure.DataSourceObservationAutoConfiguration;
import net.ttddyy.observation.tracing.QueryContext;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read-only transactions go to the replica, the rest to the primary. The "replica" here
 * is the same database reached through a URL with its own application name, which is
 * enough to tell the two pools apart. The SQL observations come along, as in the
 * application: they must not take a connection before the transaction is known to be
 * read-only.
 */
@JpaIntegrationTest
@Import(ReadReplicaConfiguration.class)
@ImportAutoConfiguration({ ObservationAutoConfiguration.class, DataSourceObservationAutoConfiguration.class })
@TestPropertySource(properties = "app.db.read-url=${spring.datasource.url}?ApplicationName=tierstack-replica")
@Transactional(propagation = Propagation.NOT_SUPPORTED)
class ReadReplicaIT {

	private static final String APPLICATION_NAME = "SELECT current_setting('application_name')";

	@Autowired
	private DataSource dataSource;

	@Autowired
	private PlatformTransactionManager transactionManager;

	@Autowired
	private EntityManager entityManager;

	@Autowired
	private BookRepository books;

	@Autowired
	private JdbcClient jdbc;

	@Autowired
	private ObservationRegistry observations;

	private String applicationNameIn(boolean readOnly) {
		TransactionTemplate transaction = new TransactionTemplate(this.transactionManager);
		transaction.setReadOnly(readOnly);
		return transaction.execute((status) -> {
			// A repository call first: JPA takes the connection, as in the real services.
			assertThat(this.books.count()).isGreaterThanOrEqualTo(10_000);
			return (String) this.entityManager.createNativeQuery(APPLICATION_NAME).getSingleResult();
		});
	}

	@Test
	void theOnlyDataSourceRoutesByTransaction() {
		assertThat(this.dataSource).isInstanceOf(ReadReplicaConfiguration.ReadWriteDataSource.class);
	}

	@Test
	void readOnlyTransactionsUseTheReplica() {
		assertThat(applicationNameIn(true)).isEqualTo("tierstack-replica");
	}

	@Test
	void readWriteTransactionsUseThePrimary() {
		assertThat(applicationNameIn(false)).isNotEqualTo("tierstack-replica");
	}

	@Test
	void statementsOnBothPoolsAreObserved() {
		List<String> pools = new ArrayList<>();
		this.observations.observationConfig().observationHandler(new ObservationHandler<QueryContext>() {

			@Override
			public void onStop(QueryContext context) {
				pools.add(context.getDataSourceName());
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return context instanceof QueryContext;
			}

		});
		applicationNameIn(true);
		applicationNameIn(false);
		assertThat(pools).contains("app-read", "app");
	}

	@Test
	void plainJdbcUsesThePrimary() {
		assertThat(this.jdbc.sql(APPLICATION_NAME).query(String.class).single()).isNotEqualTo("tierstack-replica");
	}

}
