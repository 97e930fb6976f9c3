package dev.tierstack.app.system;

import java.net.http.HttpResponse;
import java.util.List;

import dev.tierstack.app.Api;
import dev.tierstack.db.testsupport.DbTierContainer;
import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Network;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole app against a primary and a streaming replica through the multi-host URLs the
 * compose stack uses, while the database members die: first the replica (reads move to
 * the primary, broken pooled connections cost no request), then the primary too (every
 * request a 503 problem with {@code Retry-After}, never a 500, and the node stays live
 * and ready).
 */
@EnabledIfDockerAvailable
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "tierstack.node.name=app-it")
class DatabaseFailoverIT {

	private static final String ISBN = "9781900000017";

	private static final Network NETWORK = Network.newNetwork();

	private static final DbTierContainer PRIMARY = new DbTierContainer().withReplicationRole()
		.withNetwork(NETWORK)
		.withNetworkAliases("db-primary");

	private static final DbTierContainer REPLICA = new DbTierContainer().asReplicaOf("db-primary").withNetwork(NETWORK);

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void database(DynamicPropertyRegistry registry) {
		PRIMARY.start();
		Flyway.configure()
			.dataSource(PRIMARY.jdbcUrl(), DbTierContainer.OWNER_USER, DbTierContainer.OWNER_PASSWORD)
			.schemas("bookshop")
			.locations("classpath:db/migration")
			.load()
			.migrate();
		REPLICA.start();
		String hosts = PRIMARY.getHost() + ":" + PRIMARY.getMappedPort(DbTierContainer.PORT) + "," + REPLICA.getHost()
				+ ":" + REPLICA.getMappedPort(DbTierContainer.PORT);
		String url = "jdbc:postgresql://" + hosts + "/" + DbTierContainer.DATABASE
				+ "?hostRecheckSeconds=1&connectTimeout=2";
		registry.add("spring.datasource.url", () -> url + "&targetServerType=primary");
		registry.add("app.db.read-url", () -> url + "&targetServerType=preferSecondary");
		registry.add("spring.datasource.username", () -> DbTierContainer.APP_USER);
		registry.add("spring.datasource.password", () -> DbTierContainer.APP_PASSWORD);
	}

	@AfterAll
	static void stopContainers() {
		REPLICA.stop();
		PRIMARY.stop();
		NETWORK.close();
	}

	@Test
	void readsOutliveTheReplicaAndEveryRequestIsA503ProblemWhenNoMemberIsLeft() {
		Api api = new Api(this.port);
		String order = "{\"lines\":[{\"isbn\":\"" + ISBN + "\",\"quantity\":1}]}";
		// The replica has the seed once it answers the catalog with it.
		assertThat(api.get("/api/books/" + ISBN).statusCode()).isEqualTo(200);
		assertThat(api.postJson("/api/orders", order, "Idempotency-Key", "db-failover-1").statusCode()).isEqualTo(201);
		// Every pooled read connection in use: they all break with the replica.
		for (int i = 0; i < 20; i++) {
			assertThat(api.get("/api/books?size=3&page=" + i).statusCode()).isEqualTo(200);
		}

		kill(REPLICA);
		for (int i = 0; i < 20; i++) {
			HttpResponse<String> read = api.get("/api/books?size=3&page=" + i);
			assertThat(read.statusCode()).as("read %d after the replica died: %s", i, read.body()).isEqualTo(200);
		}
		assertThat(api.postJson("/api/orders", order, "Idempotency-Key", "db-failover-2").statusCode()).isEqualTo(201);

		kill(PRIMARY);
		List<HttpResponse<String>> answers = List.of(api.get("/api/books/" + ISBN), api.get("/api/books?q=river"),
				api.postJson("/api/orders", order, "Idempotency-Key", "db-failover-3"),
				api.get("/api/orders/00000000-0000-0000-0000-000000000001"));
		for (HttpResponse<String> answer : answers) {
			assertThat(answer.statusCode()).as(answer.request().method() + " " + answer.uri()).isEqualTo(503);
			assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
			assertThat(answer.headers().firstValue("Retry-After")).isPresent();
			assertThat(Api.json(answer).get("type").asString()).isEqualTo("urn:tierstack:problem:service-unavailable");
		}
		// A database that moved or is gone is no reason to restart this node or take it
		// out of rotation.
		assertThat(api.get("/livez").statusCode()).isEqualTo(200);
		assertThat(api.get("/readyz").statusCode()).isEqualTo(200);
	}

	private static void kill(DbTierContainer container) {
		container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
	}

}
