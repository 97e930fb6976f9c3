package dev.tierstack.systemtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network cuts between the tiers and what each role may do, seen from inside the
 * containers.
 */
@EnabledIfDockerAvailable
@ExtendWith(StackExtension.class)
@Order(2)
class IsolationIT {

	private static ComposeStack stack;

	private static String dbLeader;

	private static String dbAddress;

	private static String appAddress;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		// The leader: the runtime role's DDL must be refused for lack of privileges, not
		// because a replica is read-only.
		dbLeader = stack.containers(new DatabaseCluster(stack).waitForLeader(Duration.ofSeconds(60))).get(0);
		dbAddress = stack.ip(dbLeader, "data");
		appAddress = stack.ip(stack.containers("app").get(0), "app");
		assertThat(dbAddress).startsWith(stack.subnet("data").replace("0/24", ""));
	}

	@Test
	void theDatabaseIsReachableFromTheAppTierOnly() {
		Map<String, Object> figures = new LinkedHashMap<>();
		for (String service : List.of("lb1", "lb2", "web")) {
			String container = stack.containers(service).get(0);
			// Neither the name resolves nor does the address answer: no shared network,
			// no route.
			assertThat(canResolve(container, "db1")).as(service + " resolves db1").isFalse();
			assertThat(canConnect(container, dbAddress, 5432)).as(service + " connects to db").isFalse();
			figures.put(service + "->db", "unreachable");
		}
		String app = stack.containers("app").get(0);
		for (String member : DatabaseCluster.MEMBERS) {
			assertThat(canResolve(app, member)).isTrue();
			assertThat(canConnect(app, member, 5432)).as("app connects to " + member).isTrue();
		}
		figures.put("app->db1,db2", "reachable");
		// The database's own traffic (replication, Patroni's API, etcd) is on the dbpeer
		// network, which the app tier does not join.
		String peerAddress = stack.ip(dbLeader, "dbpeer");
		String etcdAddress = stack.ip(stack.containers("etcd1").get(0), "dbpeer");
		assertThat(canResolve(app, "etcd1")).as("app resolves etcd1").isFalse();
		assertThat(canConnect(app, etcdAddress, 2379)).as("app connects to etcd").isFalse();
		assertThat(canConnect(app, peerAddress, 8008)).as("app connects to Patroni's API").isFalse();
		figures.put("app->etcd,patroni-api", "unreachable");
		// No tier is skipped either: a load balancer cannot talk to the app tier
		// directly.
		for (String lb : List.of("lb1", "lb2")) {
			assertThat(canConnect(stack.containers(lb).get(0), appAddress, 8081)).as(lb + " connects to app").isFalse();
			figures.put(lb + "->app", "unreachable");
		}
		Results results = Results.of("isolation");
		figures.forEach(results::put);
		results.write();
	}

	@Test
	void internalNetworksReachNothingBeyondTheirOwnMembers() {
		for (String network : List.of("app", "data", "dbpeer")) {
			assertThat(stack.inspectNetwork(network, "{{.Internal}}")).as(network + " internal").isEqualTo("true");
		}
		String lbEdge = stack.ip(stack.containers("lb1").get(0), "edge");
		String webOnWeb = stack.ip(stack.containers("web").get(0), "web");
		Map<String, Object> figures = new LinkedHashMap<>();
		for (String service : List.of("app", "db1", "etcd1")) {
			String container = stack.containers(service).get(0);
			assertThat(canConnect(container, lbEdge, 80)).as(service + " -> lb1 on the edge network").isFalse();
			assertThat(canConnect(container, webOnWeb, 8080)).as(service + " -> web on the web network").isFalse();
			// Without iptables the engine does not enforce `internal` itself: containers
			// keep a default route to the bridge on the host, which (ip_forward off)
			// routes nowhere.
			String routes = stack.exec(container, "cat", "/proc/net/route").orThrow().out();
			figures.put(service + "HasDefaultRouteToHostBridge",
					routes.lines().skip(1).anyMatch((line) -> line.split("\\s+")[1].equals("00000000")));
		}
		Results results = Results.of("internal-networks");
		figures.forEach(results::put);
		results.write();
	}

	@Test
	void statsAndMetricsAreNotOnTheVip() throws Exception {
		assertThat(canConnectFromHost(stack.vip(), 8404)).as("VIP:8404").isFalse();
		HttpClient http = Http.client();
		for (String lb : List.of("lb1", "lb2")) {
			String ops = "http://" + stack.opsAddress(lb) + ":8404";
			HttpResponse<String> metrics = Http.get(http, ops, "/metrics");
			assertThat(metrics.statusCode()).isEqualTo(200);
			assertThat(metrics.body()).contains("haproxy_backend_active_servers");
			assertThat(Http.get(http, ops, "/stats").statusCode()).isEqualTo(200);
		}
		assertThat(Http.get(http, "http://" + stack.vip(), "/stats").statusCode()).isNotEqualTo(200);
		assertThat(Http.get(http, "http://" + stack.vip(), "/metrics").statusCode()).isNotEqualTo(200);
	}

	@Test
	void theAppTiersDatabaseRoleCannotChangeTheSchema() {
		String db = dbLeader;
		for (String ddl : List.of("CREATE TABLE bookshop.intruder (id int)",
				"ALTER TABLE bookshop.book ADD COLUMN x int", "DROP TABLE bookshop.order_line",
				"CREATE TABLE public.intruder (id int)", "TRUNCATE bookshop.book")) {
			Proc.Result result = psqlAsApp(db, ddl);
			assertThat(result.exitCode()).as(ddl + " -> " + result.out() + result.err()).isNotZero();
			assertThat(result.err()).as(ddl).containsAnyOf("permission denied", "must be owner");
		}
		// ...while it can do its job.
		Proc.Result read = psqlAsApp(db, "SELECT count(*) FROM bookshop.book");
		assertThat(read.exitCode()).as(read.err()).isZero();
	}

	/**
	 * psql as the runtime role over TCP to the server's own data-network address (the
	 * connection a app node makes), with the password from the mounted secret.
	 */
	private static Proc.Result psqlAsApp(String db, String sql) {
		return stack.exec(db, "bash", "-c", "PGPASSWORD=$(cat /run/secrets/db_app_password) psql -X -v ON_ERROR_STOP=1 "
				+ "-h " + dbAddress + " -U tierstack_app -d tierstack -Atc \"" + sql + "\"");
	}

	private static boolean canResolve(String container, String name) {
		return stack.exec(container, "getent", "hosts", name).ok();
	}

	private static boolean canConnect(String container, String host, int port) {
		return stack.exec(container, "timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + port).ok();
	}

	private static boolean canConnectFromHost(String host, int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), 2000);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

}
