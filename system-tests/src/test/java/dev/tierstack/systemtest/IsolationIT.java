package dev.tierstack.systemtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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

	private static final int PROBE_TIMEOUT_SECONDS = 2;

	/**
	 * Each argument (address:port) attempted in the background; one line each: the
	 * target, the exit code (124: timed out) and the last words of the error.
	 */
	private static final String PROBE_SCRIPT = """
			for target in "$@"; do
				(error=$(timeout %d bash -c 'exec 3<>"/dev/tcp/${0%%:*}/${0##*:}"' "$target" 2>&1)
				echo "$target $? ${error##*: }") &
			done
			wait
			""".formatted(PROBE_TIMEOUT_SECONDS);

	private static ComposeStack stack;

	private static String dbLeader;

	private static String dbAddress;

	@BeforeAll
	static void stack(ComposeStack composeStack) {
		stack = composeStack;
		// The leader: the runtime role's DDL must be refused for lack of privileges, not
		// because a replica is read-only.
		dbLeader = stack.containers(new DatabaseCluster(stack).waitForLeader(Duration.ofSeconds(60))).get(0);
		dbAddress = stack.ip(dbLeader, "data");
		assertThat(dbAddress).startsWith(stack.subnet("data").replace("0/24", ""));
	}

	/**
	 * Every tier reaches the next one, and nothing it skips or that lies behind it. The
	 * same probe runs for both: a path that must exist is what shows that a failed
	 * attempt is the network's doing, not the probe's.
	 */
	@Test
	void eachTierReachesTheNextTierAndNothingBeyondIt() {
		List<Probe> paths = List.of(probe("lb1", "web", "web", 8080), probe("web", "app", "app", 8081),
				probe("app", "db1", "data", 5432), probe("db1", "db2", "dbpeer", 5432),
				probe("db1", "etcd1", "dbpeer", 2379), probe("etcd1", "etcd2", "dbpeer", 2380),
				// Prometheus, to each tier's metrics on that tier's operations network
				probe("prometheus", "lb1", "ops", 8404), probe("prometheus", "web", "ops-web", 9080),
				probe("prometheus", "app", "ops-app", 9081), probe("prometheus", "db1", "ops-db", 9187),
				probe("prometheus", "db1", "ops-db", 9547), probe("prometheus", "etcd1", "ops-db", 2381),
				// the web and app tiers' spans to Zipkin
				probe("web", "zipkin", "ops-web", 9411), probe("app", "zipkin", "ops-app", 9411));
		List<Probe> cut = List.of(
				// a tier skipped
				probe("lb1", "app", "app", 8081), probe("lb1", "db1", "data", 5432), probe("web", "db1", "data", 5432),
				probe("web", "db1", "dbpeer", 8008), probe("web", "etcd1", "dbpeer", 2379),
				// the database's own traffic (replication, Patroni, etcd): not the
				// app tier's
				probe("app", "db1", "dbpeer", 8008), probe("app", "etcd1", "dbpeer", 2379),
				// a tier reached backwards
				probe("app", "lb1", "web", 8404), probe("app", "web", "web", 8080), probe("db1", "app", "app", 8081),
				probe("db1", "web", "web", 8080), probe("etcd1", "db1", "data", 5432),
				probe("etcd1", "app", "app", 8081),
				// an operations network joins one tier to Prometheus, never to another
				// tier
				probe("lb1", "web", "ops-web", 8080), probe("web", "lb1", "ops", 8404),
				probe("web", "app", "ops-app", 8081), probe("app", "web", "ops-web", 8080),
				probe("app", "db1", "ops-db", 5432), probe("db1", "app", "ops-app", 8081),
				// nor Prometheus to more than metrics: etcd's client and peer ports and
				// Patroni's API stay on the database's own network
				probe("prometheus", "db1", "dbpeer", 8008), probe("prometheus", "etcd1", "dbpeer", 2379));
		List<Probe> closed = List.of(probe("prometheus", "etcd1", "ops-db", 2379),
				probe("prometheus", "etcd1", "ops-db", 2380), probe("prometheus", "db1", "ops-db", 8008));
		Map<Probe, Reach> reached = run(
				Stream.of(paths.stream(), cut.stream(), closed.stream()).flatMap((probes) -> probes).toList());
		Results results = Results.of("isolation");
		reached.forEach((probe, reach) -> results.put(probe.toString(), reach));
		results.write();
		paths.forEach((probe) -> assertThat(reached.get(probe)).as(probe.toString()).isEqualTo(Reach.CONNECTED));
		cut.forEach((probe) -> assertThat(reached.get(probe)).as(probe.toString())
			.isIn(Reach.UNREACHABLE, Reach.NO_ANSWER));
		closed.forEach((probe) -> assertThat(reached.get(probe)).as(probe.toString()).isNotEqualTo(Reach.CONNECTED));
	}

	@Test
	void onlyTheAppTierResolvesTheDatabaseMembers() {
		Map<String, Callable<Boolean>> lookups = new LinkedHashMap<>();
		for (String service : List.of("app", "lb1", "lb2", "web")) {
			for (String name : List.of("db1", "db2", "etcd1")) {
				lookups.put(service + " resolves " + name, () -> canResolve(service, name));
			}
		}
		// Docker's DNS, as a control: a name it knows is answered within the lookup's
		// time limit.
		lookups.put("web resolves app", () -> canResolve("web", "app"));
		Map<String, Boolean> resolved = Concurrently.run(lookups);
		Results.of("name-resolution").put("resolved", resolved).write();
		Set<String> expected = Set.of("app resolves db1", "app resolves db2", "web resolves app");
		resolved.forEach((lookup, answer) -> assertThat(answer).as(lookup).isEqualTo(expected.contains(lookup)));
	}

	/**
	 * Out of an internal network, towards the clients' side: neither the VIP nor a load
	 * balancer answers, where the same probe from a load balancer gets through.
	 * <p>
	 * The host is the exception, and is recorded, not asserted: without iptables the
	 * engine does not enforce {@code internal} itself, and its containers keep a default
	 * route to the bridge on the host, which (ip_forward off) forwards nothing but
	 * accepts whatever is addressed to any of its own addresses. A host service on the
	 * edge network's gateway address, or on 0.0.0.0, is reachable from every tier.
	 */
	@Test
	void internalNetworksLeadNowhereButToTheHost() throws IOException {
		for (String network : List.of("app", "data", "dbpeer", "ops-web", "ops-app", "ops-db")) {
			assertThat(stack.inspectNetwork(network, "{{.Internal}}")).as(network + " internal").isEqualTo("true");
		}
		try (ServerSocket hostService = new ServerSocket()) {
			hostService.bind(new InetSocketAddress(stack.hostAddress("edge"), 0));
			List<Probe> probes = new ArrayList<>();
			for (String service : List.of("lb1", "app", "db1", "etcd1")) {
				probes.add(new Probe(service, "vip:80", stack.vip(), 80));
				probes.add(new Probe(service, "vip:443", stack.vip(), 443));
				probes.add(probe(service, "lb2", "edge", 80));
				probes.add(new Probe(service, "a host service on the edge gateway", stack.hostAddress("edge"),
						hostService.getLocalPort()));
			}
			Map<Probe, Reach> reached = run(probes);
			Results results = Results.of("internal-networks");
			reached.forEach((probe, reach) -> results.put(probe.toString(), reach));
			for (String service : List.of("app", "db1", "etcd1")) {
				String routes = stack.exec(stack.containers(service).get(0), "cat", "/proc/net/route").orThrow().out();
				results.put(service + " has a default route to the host's bridge",
						routes.lines().skip(1).anyMatch((line) -> line.split("\\s+")[1].equals("00000000")));
			}
			results.write();
			reached.forEach((probe, reach) -> {
				if (probe.from().equals("lb1")) {
					assertThat(reach).as(probe.toString()).isEqualTo(Reach.CONNECTED);
				}
				else if (!probe.address().equals(stack.hostAddress("edge"))) {
					assertThat(reach).as(probe.toString()).isIn(Reach.UNREACHABLE, Reach.NO_ANSWER);
				}
			});
		}
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
		assertThat(Http.get(http, stack.vipUrl(), "/stats").statusCode()).isNotEqualTo(200);
		assertThat(Http.get(http, stack.vipUrl(), "/metrics").statusCode()).isNotEqualTo(200);
		// A web node shares the network with the ops port, and is refused.
		String web = stack.containers("web").get(0);
		for (String path : List.of("/stats", "/metrics")) {
			String status = stack
				.exec(web, "bash", "-c",
						"exec 3<>/dev/tcp/" + stack.opsAddress("lb1") + "/8404 && printf 'GET " + path
								+ " HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3")
				.orThrow()
				.trimmed();
			assertThat(status).as("a web node asks lb1 for " + path).startsWith("HTTP/1.1 403");
		}
	}

	@Test
	void everyContainerRunsWithoutNewPrivileges() {
		Map<String, String> options = new LinkedHashMap<>();
		stack.states().keySet().forEach((key) -> {
			String container = key.substring(key.indexOf(' ') + 1);
			options.put(container, stack.inspect(container, "{{.HostConfig.SecurityOpt}}"));
		});
		Results.of("no-new-privileges").put("securityOpt", options).write();
		assertThat(options).hasSizeGreaterThanOrEqualTo(11);
		options.forEach((container, option) -> assertThat(option).as(container).contains("no-new-privileges:true"));
	}

	/**
	 * The host, on the edge network but not a load balancer, sends both nodes VRRP
	 * adverts of the highest priority for the VIP's virtual router, ten a second for
	 * three seconds, while reads go through the VIP: the VIP stays where it is, neither
	 * node changes state, and no read fails.
	 */
	@Test
	void aStrangerOnTheEdgeNetworkCannotMoveTheVip() throws Exception {
		HttpClient http = Http.client();
		Rotation rotation = new Rotation(stack, http, Http.isbnsInStock(http, stack.vipUrl(), 20));
		String holder = rotation.vipHolder();
		Instant since = Instant.now();
		Path forger = Path.of(IsolationIT.class.getResource("/forge-vrrp-advert.pl").toURI());
		List<String> forged = new ArrayList<>();
		SteadyLoad.Run run = new SteadyLoad(http,
				SteadyLoad.catalogReads(stack.vipUrl(), Http.isbnsInStock(http, stack.vipUrl(), 20)), 20)
			.run(Duration.ofSeconds(4), Duration.ofSeconds(20), Duration.ofMillis(500), Duration.ofMillis(500),
					(event) -> forged.add(Proc
						.run(Duration.ofSeconds(30), "perl", forger.toString(), stack.hostAddress("edge"), stack.vip(),
								"51", "30", "100", stack.edgeAddress("lb1"), stack.edgeAddress("lb2"))
						.orThrow()
						.trimmed()));
		Pattern transition = Pattern.compile("Entering (MASTER|BACKUP) STATE|transition:");
		List<String> transitions = Stream.of("lb1", "lb2")
			.flatMap((lb) -> stack.logLines(stack.containers(lb).get(0), since, transition).stream())
			.toList();
		Results.of("forged-vrrp-adverts", run, 20)
			.put("forger", forged)
			.put("holderBefore", holder)
			.put("holderAfter", rotation.vipHolder())
			.put("stateChanges", transitions)
			.write();
		assertThat(forged).singleElement().asString().startsWith("sent 30 adverts");
		assertThat(transitions).as("keepalived state changes while forged adverts came").isEmpty();
		assertThat(rotation.vipHolder()).isEqualTo(holder);
		assertThat(rotation.holdsTheVip(stack.containers(holder).get(0))).isTrue();
		assertThat(run.failures()).as("reads failed").isEmpty();
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

	/**
	 * Whether a service's first container resolves a name within two seconds. A name that
	 * Docker's DNS does not know on the container's networks is passed on to an upstream
	 * server that cannot answer here, which takes tens of seconds to give up.
	 */
	private static boolean canResolve(String service, String name) {
		return stack.exec(stack.containers(service).get(0), "timeout", "2", "getent", "hosts", name).ok();
	}

	/** A probe from a service's first container to another's address on a network. */
	private static Probe probe(String from, String to, String network, int port) {
		return new Probe(from, to + "@" + network + ":" + port, stack.ip(stack.containers(to).get(0), network), port);
	}

	/**
	 * Runs the probes, those of one container in one {@code docker exec}, all at once: an
	 * attempt that gets no answer costs {@link #PROBE_TIMEOUT_SECONDS}.
	 */
	private static Map<Probe, Reach> run(List<Probe> probes) {
		Map<String, List<Probe>> byService = probes.stream()
			.collect(Collectors.groupingBy(Probe::from, LinkedHashMap::new, Collectors.toList()));
		Map<String, Callable<Map<String, Reach>>> attempts = new LinkedHashMap<>();
		byService.forEach((service, own) -> attempts.put(service, () -> attempt(service, own)));
		Map<String, Map<String, Reach>> reachedBy = Concurrently.run(attempts);
		Map<Probe, Reach> reached = new LinkedHashMap<>();
		probes.forEach((probe) -> reached.put(probe, reachedBy.get(probe.from()).get(probe.target())));
		return reached;
	}

	/**
	 * TCP connection attempts from inside a service's first container, with bash's
	 * {@code /dev/tcp}. An outcome that is none of the four (the probe itself failed)
	 * fails the test instead of counting as unreachable.
	 */
	private static Map<String, Reach> attempt(String service, List<Probe> probes) {
		List<String> command = new ArrayList<>(List.of("bash", "-c", PROBE_SCRIPT, "probe"));
		probes.forEach((probe) -> command.add(probe.target()));
		Proc.Result result = stack.exec(stack.containers(service).get(0), command.toArray(String[]::new)).orThrow();
		Map<String, Reach> reached = new LinkedHashMap<>();
		for (String line : result.lines()) {
			String[] parts = line.split(" ", 3);
			String error = (parts.length > 2) ? parts[2] : "";
			Reach reach = switch (parts[1]) {
				case "0" -> Reach.CONNECTED;
				case "124" -> Reach.NO_ANSWER;
				default -> {
					if (error.contains("refused")) {
						yield Reach.REFUSED;
					}
					if (error.contains("unreachable") || error.contains("No route")) {
						yield Reach.UNREACHABLE;
					}
					throw new IllegalStateException(service + ": the probe failed: " + line);
				}
			};
			reached.put(parts[0], reach);
		}
		for (Probe probe : probes) {
			assertThat(reached).as(service + ": outcome of " + probe).containsKey(probe.target());
		}
		return reached;
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

	/** What a TCP connection attempt got. */
	enum Reach {

		/** A connection: something listens there and the path is open. */
		CONNECTED,

		/** A reset: the packet arrived, nothing listens on the port. */
		REFUSED,

		/** No route there, or an ICMP error on the way. */
		UNREACHABLE,

		/** Nothing came back within the probe's timeout. */
		NO_ANSWER

	}

	/** A connection attempt from a service's first container to an address and port. */
	record Probe(String from, String to, String address, int port) {

		String target() {
			return this.address + ":" + this.port;
		}

		@Override
		public String toString() {
			return this.from + " -> " + this.to;
		}

	}

}
