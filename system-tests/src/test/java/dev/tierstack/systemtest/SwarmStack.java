package dev.tierstack.systemtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;

import static org.awaitility.Awaitility.await;

/**
 * The stack on a Docker Swarm of one node, and later two, driven through
 * {@code scripts/swarm.sh} as a user drives it: {@code up} from the images the Compose
 * stack builds, {@code deploy} of a new version, {@code down} (which leaves the swarm if
 * {@code up} made it); the second host through {@code scripts/swarm-host.sh}.
 */
final class SwarmStack implements AutoCloseable, OrderStream.Store {

	/**
	 * The hosts' link ({@code scripts/swarm-host.sh}): a bridge here, this host
	 * {@code .1} on it. The swarm is advertised on this address, which the other hosts
	 * reach.
	 */
	static final String HOST_LINK = "10.250.0";

	/** The second host, which takes tasks: {@code .2} on the hosts' link. */
	static final String SECOND_HOST = "tshost2";

	/**
	 * Hosts that only manage the swarm ({@code .3}, {@code .4}): with this one, a Raft
	 * quorum of three managers, which outlives the loss of any one.
	 */
	static final List<String> MANAGER_HOSTS = List.of("tshost3", "tshost4");

	/** The placement constraint of the stack's one-task services (swarm/stack.yml). */
	private static final String ON_A_MANAGER = "node.role == manager";

	private final Path root = ComposeStack.repositoryRoot();

	private final String stack;

	private final String netPrefix;

	private final Map<String, String> environment;

	private Duration upTime;

	private String upOutput = "";

	private boolean closed;

	private SwarmStack(String stack, String netPrefix) {
		this.stack = stack;
		this.netPrefix = netPrefix;
		this.environment = Map.of("TIERSTACK_STACK", stack, "TIERSTACK_NET_PREFIX", netPrefix, "TIERSTACK_SWARM_WAIT",
				"600", "TIERSTACK_SWARM_ADDR", HOST_LINK + ".1", "TIERSTACK_SWARM_HOST_NET", HOST_LINK);
	}

	/**
	 * Builds the images (from the jars of {@code ./mvnw package}: cached layers when the
	 * Compose stack has built them), lets {@code beforeUp} prepare what the scenarios
	 * need from them (the versions they deploy), then deploys the stack by
	 * {@code swarm.sh up}, which waits until the VIP serves and warms it.
	 */
	static SwarmStack start(Consumer<SwarmStack> beforeUp) {
		String name = "tierstack-sw-"
				+ DateTimeFormatter.ofPattern("MMddHHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
		SwarmStack stack = new SwarmStack(name, ComposeStack.freeNetPrefix());
		Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "swarm-down"));
		Proc.run(Duration.ofMinutes(1), stack.root, stack.environment, List.of("scripts/generate-secrets.sh"))
			.orThrow();
		List<String> build = new ArrayList<>(ComposeStack.composeCommand());
		build.addAll(List.of("build", "-q", "lb1", "web", "app", "db1", "etcd1"));
		Proc.run(Duration.ofMinutes(20), stack.root, stack.environment, build).orThrow();
		ComposeStack.log("swarm stack " + name + ", networks " + stack.netPrefix + ".{1..5}.0/24");
		beforeUp.accept(stack);
		stack.secondHost(Duration.ofMinutes(1), "link").orThrow();
		long start = System.nanoTime();
		try {
			stack.upOutput = stack.swarm(Duration.ofMinutes(13), "up").orThrow().out();
		}
		catch (RuntimeException ex) {
			ComposeStack.log(stack.swarm(Duration.ofMinutes(1), "status").out());
			stack.close();
			throw ex;
		}
		stack.upTime = Duration.ofNanos(System.nanoTime() - start);
		return stack;
	}

	Duration upTime() {
		return this.upTime;
	}

	/** The line of {@code swarm.sh up} that starts with {@code start}, or "". */
	String upLine(String start) {
		return this.upOutput.lines()
			.map((line) -> line.replaceFirst("^\\[swarm\\] ", ""))
			.filter((line) -> line.startsWith(start))
			.findFirst()
			.orElse("");
	}

	Proc.Result swarm(Duration timeout, String... arguments) {
		List<String> command = new ArrayList<>(List.of("scripts/swarm.sh"));
		command.addAll(List.of(arguments));
		return Proc.run(timeout, this.root, this.environment, command);
	}

	String vipUrl() {
		return "https://" + vip();
	}

	String service(String name) {
		return this.stack + "_" + name;
	}

	/** The image a service's spec names now. */
	String image(String service) {
		return Proc
			.docker(Duration.ofSeconds(30), "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
					service(service))
			.orThrow()
			.trimmed();
	}

	/** The running containers of a service's tasks. */
	List<String> containers(String service) {
		return Proc
			.docker(Duration.ofSeconds(30), "ps", "-q", "--filter",
					"label=com.docker.swarm.service.name=" + service(service), "--filter", "status=running")
			.orThrow()
			.lines();
	}

	/**
	 * Whether the main process of each running task may gain privileges through exec: its
	 * {@code NoNewPrivs} flag (1: it may not), read from the host's {@code /proc}
	 * (nothing runs in the container). Keyed by service and slot.
	 */
	Map<String, String> noNewPrivileges() {
		Map<String, String> flags = new TreeMap<>();
		for (Map.Entry<String, String> pid : inspectTasks("{{.State.Pid}}").entrySet()) {
			try {
				String flag = Files.readAllLines(Path.of("/proc", pid.getValue(), "status"))
					.stream()
					.filter((line) -> line.startsWith("NoNewPrivs:"))
					.map((line) -> line.substring("NoNewPrivs:".length()).strip())
					.findFirst()
					.orElse("(none)");
				flags.put(pid.getKey(), flag);
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}
		return flags;
	}

	/**
	 * The health of each running task, as its engine reports it ({@code none} without a
	 * check), keyed by service and slot.
	 */
	Map<String, String> health() {
		Map<String, String> health = new TreeMap<>();
		for (String name : runningTasks()) {
			health.put(taskName(name), health(name));
		}
		return health;
	}

	/** Each running task's CPU limit in cores (0: none), by task name (web.1). */
	Map<String, Double> cpuLimits() {
		Map<String, Double> limits = new TreeMap<>();
		inspectTasks("{{.HostConfig.NanoCpus}}")
			.forEach((task, nanoCpus) -> limits.put(task, Long.parseLong(nanoCpus) / 1e9));
		return limits;
	}

	/**
	 * One {@code docker inspect} of every running task: what {@code format} gives for
	 * each, by task name (web.1).
	 */
	private Map<String, String> inspectTasks(String format) {
		List<String> arguments = new ArrayList<>(List.of("inspect", "-f", "{{.Name}} " + format));
		arguments.addAll(runningTasks());
		Map<String, String> values = new TreeMap<>();
		for (String line : Proc.docker(Duration.ofSeconds(30), arguments.toArray(String[]::new)).orThrow().lines()) {
			String[] nameAndValue = line.split(" ", 2);
			// The engine names a container with a leading slash.
			values.put(taskName(nameAndValue[0].substring(1)), nameAndValue[1]);
		}
		return values;
	}

	/**
	 * A container's health: starting, healthy, unhealthy, none without a check, or the
	 * client's error (a container removed).
	 */
	String health(String container) {
		Proc.Result health = Proc.docker(Duration.ofSeconds(30), "inspect", "-f",
				"{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", container);
		return health.ok() ? health.trimmed() : health.err().strip();
	}

	/** The names of the stack's running containers. */
	private List<String> runningTasks() {
		return Proc
			.docker(Duration.ofSeconds(30), "ps", "--filter", "label=com.docker.stack.namespace=" + this.stack,
					"--filter", "status=running", "--format", "{{.Names}}")
			.orThrow()
			.lines();
	}

	/** A task's container name without the stack's prefix and the task id: web.1. */
	private String taskName(String container) {
		return container.substring(this.stack.length() + 1).replaceFirst("\\.[^.]+$", "");
	}

	/**
	 * Hangs a container: its main process stopped, so that it holds its connections and
	 * its listening sockets accept and answer nothing (the engine still counts it
	 * running).
	 */
	void hang(String container) {
		Proc.docker(Duration.ofSeconds(30), "kill", "--signal", "STOP", container).orThrow();
	}

	/** A hung container's main process resumed; what fails is logged, not thrown. */
	void resume(String container) {
		Proc.Result resumed = Proc.docker(Duration.ofSeconds(30), "kill", "--signal", "CONT", container);
		if (!resumed.ok()) {
			ComposeStack.log("resuming " + container + ": " + resumed.err().strip());
		}
	}

	/**
	 * Whether an etcd member sees a leader and a quorum: its image's own check (etcd's
	 * {@code /health}), which the stack's check on Swarm (alive) replaces. A member not
	 * yet in a quorum does not answer; it is given 3 s.
	 */
	boolean etcdInQuorum(String container) {
		String image = Proc.docker(Duration.ofSeconds(30), "inspect", "-f", "{{.Image}}", container)
			.orThrow()
			.trimmed();
		List<String> check = Proc
			.docker(Duration.ofSeconds(30), "image", "inspect", "-f",
					"{{range .Config.Healthcheck.Test}}{{println .}}{{end}}", image)
			.orThrow()
			.lines();
		List<String> command = new ArrayList<>(List.of("timeout", "3"));
		command.addAll(check.subList(1, check.size()));
		return exec(container, command.toArray(String[]::new)).exitCode() == 0;
	}

	/**
	 * The lines of a service's logs since {@code since} that match {@code pattern}, at
	 * most {@code max} of them (the last).
	 */
	List<String> logLines(String service, Instant since, Pattern pattern, int max) {
		List<String> lines = ComposeStack.matchingLines(Proc.docker(Duration.ofSeconds(60), "service", "logs",
				"--timestamps", "--no-trunc", "--since", since.toString(), service(service)), pattern);
		return lines.subList(Math.max(0, lines.size() - max), lines.size());
	}

	/** The host name (the short container id) of a container: its X-Web-Node. */
	String hostName(String container) {
		return Proc.docker(Duration.ofSeconds(30), "inspect", "-f", "{{.Config.Hostname}}", container)
			.orThrow()
			.trimmed();
	}

	Proc.Result exec(String container, String... command) {
		List<String> arguments = new ArrayList<>(List.of("exec", container));
		arguments.addAll(List.of(command));
		return Proc.docker(Duration.ofSeconds(30), arguments.toArray(String[]::new));
	}

	String vip() {
		return this.netPrefix + ".1.10";
	}

	/** The running load-balancer containers that have the VIP on an interface. */
	List<String> vipHolders() {
		return containers("lb").stream()
			.filter((container) -> exec(container, "ip", "-4", "-o", "addr").out().contains(" " + vip() + "/32"))
			.toList();
	}

	/** A container's address on the edge network. */
	String edgeAddress(String container) {
		String prefix = this.netPrefix + ".1.";
		return exec(container, "ip", "-4", "-o", "addr").out()
			.lines()
			.map((line) -> line.replaceFirst(".* inet ([0-9.]+)/.*", "$1"))
			.filter((address) -> address.startsWith(prefix) && !address.equals(vip()))
			.findFirst()
			.orElse("");
	}

	void kill(String container) {
		Proc.docker(Duration.ofSeconds(30), "kill", container).orThrow();
	}

	/**
	 * Kills one of a service's containers and waits for the task Swarm starts in its
	 * place.
	 * @return the new container, or null if none ran within {@code timeout}
	 */
	String killAndAwaitReplacement(String service, String victim, Duration timeout) {
		Set<String> before = Set.copyOf(containers(service));
		kill(victim);
		return firstWithin(timeout, Duration.ofMillis(200),
				() -> containers(service).stream()
					.filter((container) -> !before.contains(container))
					.findFirst()
					.orElse(null),
				Objects::nonNull);
	}

	/** {@code scripts/swarm-host.sh} with these arguments: the second host. */
	Proc.Result secondHost(Duration timeout, String... arguments) {
		return host(SECOND_HOST, timeout, arguments);
	}

	/** {@code scripts/swarm-host.sh} with these arguments, for the host named. */
	Proc.Result host(String name, Duration timeout, String... arguments) {
		List<String> command = new ArrayList<>(List.of("scripts/swarm-host.sh"));
		command.addAll(List.of(arguments));
		Map<String, String> environment = new TreeMap<>(this.environment);
		environment.put("TIERSTACK_SWARM_HOST", name);
		return Proc.run(timeout, this.root, environment, command);
	}

	/**
	 * The hosts of {@link #MANAGER_HOSTS} plugged in and joined as managers that take no
	 * task: with this one, three managers.
	 * @return each one's node ID
	 */
	Map<String, String> addManagers(Duration timeout) {
		Map<String, String> nodes = new TreeMap<>();
		for (String name : MANAGER_HOSTS) {
			host(name, timeout, "link").orThrow();
			host(name, timeout, "add", "--manager", "--drain").orThrow();
			nodes.put(name, host(name, Duration.ofSeconds(30), "node").orThrow().trimmed());
		}
		return nodes;
	}

	/**
	 * The managers of the swarm by their Raft state, as this one sees it: leader,
	 * reachable, unreachable.
	 */
	Map<String, Long> managers() {
		Map<String, Long> managers = new TreeMap<>();
		Proc.docker(Duration.ofSeconds(30), "node", "ls", "--filter", "role=manager", "--format", "{{.ManagerStatus}}")
			.orThrow()
			.lines()
			.forEach((status) -> managers.merge(status.strip().toLowerCase(Locale.ROOT), 1L, Long::sum));
		return managers;
	}

	/** The host name (its X-Web-Node or X-App-Node) of a container on the second host. */
	String hostNameOnSecondHost(String container) {
		return secondHost(Duration.ofSeconds(30), "engine", "inspect", "-f", "{{.Config.Hostname}}", container)
			.orThrow()
			.trimmed();
	}

	/**
	 * Scales each service to {@code replicas} at once and waits until the second host
	 * runs a healthy task of each (Swarm spreads a service's tasks over the nodes).
	 * @return the host name of each service's task there
	 */
	Map<String, String> scaleOntoSecondHost(int replicas, Duration timeout, String... services) {
		Proc.docker(Duration.ofMinutes(1), scaleCommand("--detach", replicas, services)).orThrow();
		Map<String, String> there = new TreeMap<>();
		boolean all = within(timeout, Duration.ofMillis(500), () -> {
			for (String service : services) {
				String container = healthyTaskOnSecondHost(service);
				if (container != null) {
					there.put(service, hostNameOnSecondHost(container));
				}
			}
			return there.size() == services.length;
		});
		if (!all) {
			throw new IllegalStateException("no healthy task of each of " + List.of(services)
					+ " on the second host within " + timeout + ": " + there);
		}
		return there;
	}

	/**
	 * Places a database member on the second host: a label on its node and a placement
	 * constraint on the member's service, whose new task starts there on an empty volume
	 * and copies the leader's data. Waits until it is healthy there, the leader here
	 * replicates to it synchronously and reaches its REST API.
	 * @return the member's host name there
	 */
	String placeMemberOnSecondHost(String member, String node, Duration timeout) {
		Proc.docker(Duration.ofSeconds(30), "node", "update", "--label-add", "tierstack.db=" + member, node).orThrow();
		Proc.docker(Duration.ofMinutes(1), "service", "update", "--detach", "--constraint-rm", ON_A_MANAGER,
				"--constraint-add", onMemberHost(member), service(member))
			.orThrow();
		String there = firstWithin(timeout, Duration.ofSeconds(1), () -> healthyTaskOnSecondHost(member),
				(task) -> task != null && synchronousStandbys(member) == 1);
		if (there == null) {
			throw new IllegalStateException(
					member + " not healthy on the second host and replicated to synchronously within " + timeout);
		}
		// The leader here must reach the member's REST API before it can hand over: a
		// switchover asked earlier was refused ("Request failed to db2 ... timed out")
		// while the member already streamed from it.
		String leader = "db1".equals(member) ? "db2" : "db1";
		if (!within(timeout, Duration.ofSeconds(1), () -> exec(containers(leader).getFirst(), "python3", "-c",
				"import urllib.request; urllib.request.urlopen('http://" + member + "-peer:8008/patroni', timeout=2)")
			.ok())) {
			throw new IllegalStateException(
					leader + " did not reach the REST API of " + member + " on the second host within " + timeout);
		}
		return hostNameOnSecondHost(there);
	}

	/** A healthy container of a service's tasks on the second host, or null. */
	private String healthyTaskOnSecondHost(String service) {
		return secondHost(Duration.ofSeconds(30), "engine", "ps", "-q", "--filter",
				"label=com.docker.swarm.service.name=" + service(service), "--filter", "health=healthy")
			.orThrow()
			.lines()
			.stream()
			.findFirst()
			.orElse(null);
	}

	/**
	 * The placement constraint that puts a database member on the host labelled for it.
	 */
	private static String onMemberHost(String member) {
		return "node.labels.tierstack.db == " + member;
	}

	/** How many synchronous standbys named {@code member} the leader here streams to. */
	private long synchronousStandbys(String member) {
		try {
			return queryLeader("SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + member
					+ "' AND state = 'streaming' AND sync_state = 'sync'");
		}
		catch (IllegalStateException ex) {
			return 0;
		}
	}

	/**
	 * A database member's service back on a manager, as the stack places it; waits until
	 * the leader replicates to it synchronously again. What fails is logged, not thrown.
	 * @return whether it is the synchronous standby again within {@code timeout}
	 */
	boolean placeMemberBack(String member, Duration timeout) {
		Proc.Result moved = Proc.docker(Duration.ofMinutes(5), "service", "update", "--detach=false", "--constraint-rm",
				onMemberHost(member), "--constraint-add", ON_A_MANAGER, service(member));
		if (!moved.ok()) {
			ComposeStack.log("placing " + member + " back: " + moved.err().strip());
		}
		boolean back = within(timeout, Duration.ofSeconds(1), () -> synchronousStandbys(member) == 1);
		if (!back) {
			ComposeStack.log(member + " back here, but no synchronous standby after " + timeout);
		}
		return back;
	}

	/**
	 * Patroni's role of each database member ("Leader", "Sync Standby", "Replica"), as
	 * {@code patronictl list} in a member's container here reads it from etcd; empty
	 * while it cannot say.
	 */
	Map<String, String> databaseRoles(String askedOf) {
		Map<String, String> roles = new TreeMap<>();
		for (String container : containers(askedOf)) {
			Proc.Result list = exec(container, "patronictl", "list", "-f", "json");
			if (list.ok()) {
				for (JsonNode member : Http.JSON.readTree(list.out())) {
					roles.put(member.get("Member").asString(), member.get("Role").asString());
				}
				return roles;
			}
		}
		return roles;
	}

	/**
	 * A planned switchover (Patroni's), asked in a member's container here; waits until
	 * the candidate leads and the old leader is its synchronous standby.
	 * @return whether both held within {@code timeout}
	 */
	boolean switchover(String leader, String candidate, String askedOf, Duration timeout) {
		exec(containers(askedOf).getFirst(), "patronictl", "switchover", "--leader", leader, "--candidate", candidate,
				"--force")
			.orThrow();
		Map<String, String> expected = Map.of(leader, "Sync Standby", candidate, "Leader");
		if (within(timeout, Duration.ofMillis(200), () -> databaseRoles(askedOf).equals(expected))) {
			return true;
		}
		Proc.Result lines = Proc.docker(Duration.ofSeconds(30), "logs", "--tail", "40", containers(leader).getFirst());
		ComposeStack.log("switchover to " + candidate + ": roles after " + timeout + " "
				+ exec(containers(askedOf).getFirst(), "patronictl", "list").out() + "\n" + leader + "'s last lines:\n"
				+ lines.out() + lines.err());
		return false;
	}

	/**
	 * Whether {@code condition} held within {@code timeout}, asked at once and then every
	 * {@code interval}.
	 */
	static boolean within(Duration timeout, Duration interval, BooleanSupplier condition) {
		return firstWithin(timeout, interval, condition::getAsBoolean, Boolean::booleanValue) != null;
	}

	/**
	 * The first value of {@code value} that {@code done} accepts within {@code timeout},
	 * asked at once and then every {@code interval}; null if none did.
	 */
	static <T> T firstWithin(Duration timeout, Duration interval, Callable<T> value, Predicate<T> done) {
		try {
			return await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(interval)
				.pollInSameThread()
				.until(value, done);
		}
		catch (ConditionTimeoutException ex) {
			return null;
		}
	}

	/**
	 * A node's state as the swarm's manager sees it: ready, down, unknown; or the
	 * client's error.
	 */
	String nodeState(String node) {
		Proc.Result state = Proc.docker(Duration.ofSeconds(30), "node", "inspect", "-f", "{{.Status.State}}", node);
		return state.ok() ? state.trimmed() : state.err().strip();
	}

	/**
	 * Each service back to {@code replicas}, then the other hosts removed; what fails is
	 * logged, not thrown (it runs after a scenario's own outcome). After a failed
	 * scenario ({@code keepLog}) the second engine's log is kept in the results first.
	 */
	void removeHosts(boolean keepLog, int replicas, String... services) {
		Proc.Result scaled = scaleTo(replicas, services);
		if (!scaled.ok()) {
			ComposeStack.log("scaling " + List.of(services) + " back: " + scaled.err().strip());
		}
		if (keepLog) {
			Results.of("swarm-second-host-engine")
				.put("log", secondHost(Duration.ofSeconds(30), "engine-log").out().lines().toList())
				.write();
		}
		removeHosts();
	}

	/**
	 * Every other host removed: the managers first, the one lost with the second host
	 * first of all (demoting it leaves two managers, both up: a majority of two, then
	 * this one alone). What fails is logged.
	 */
	private void removeHosts() {
		List<String> hosts = new ArrayList<>(MANAGER_HOSTS);
		hosts.add(SECOND_HOST);
		for (String name : hosts) {
			Proc.Result removed = host(name, Duration.ofMinutes(2), "remove");
			ComposeStack.log(name + ": " + removed.out().strip() + " " + removed.err().strip());
		}
	}

	void scale(int replicas, String... services) {
		scaleTo(replicas, services).orThrow();
	}

	/**
	 * Scales services in one command (Swarm starts or stops their tasks at once) and
	 * waits until the tasks of each run.
	 */
	private Proc.Result scaleTo(int replicas, String... services) {
		return Proc.docker(Duration.ofMinutes(5), scaleCommand("--detach=false", replicas, services));
	}

	/** {@code docker service scale} of the stack's services, each to {@code replicas}. */
	private String[] scaleCommand(String detach, int replicas, String... services) {
		List<String> command = new ArrayList<>(List.of("service", "scale", detach));
		for (String service : services) {
			command.add(service(service) + "=" + replicas);
		}
		return command.toArray(String[]::new);
	}

	/**
	 * Tags {@code tierstack/TIER:VERSION}: the current image with its version changed,
	 * and {@code extra} Dockerfile lines (a new version as a build would make one,
	 * without the minutes of a full build).
	 */
	void tagVersion(String tier, String version, String... extra) {
		try {
			Path context = Files.createTempDirectory("tierstack-version");
			Files.writeString(context.resolve("Dockerfile"), "FROM tierstack/" + tier
					+ ":latest\nENV TIERSTACK_NODE_VERSION=" + version + "\n" + String.join("\n", extra) + "\n");
			Proc.docker(Duration.ofMinutes(2), "build", "-q", "-t", "tierstack/" + tier + ":" + version,
					context.toString())
				.orThrow();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Through the leader's local socket ({@code docker exec}: no network reaches it). */
	@Override
	public long queryLeader(String sql) {
		for (String member : List.of("db1", "db2")) {
			for (String container : containers(member)) {
				Proc.Result recovery = psql(container, "SELECT pg_is_in_recovery()");
				if (recovery.ok() && "f".equals(recovery.trimmed())) {
					return Long.parseLong(psql(container, sql).orThrow().trimmed());
				}
			}
		}
		throw new IllegalStateException("no database member accepts writes");
	}

	private Proc.Result psql(String container, String sql) {
		return Proc.docker(Duration.ofSeconds(30), "exec", "-u", "postgres", container, "psql", "-h",
				"/var/run/postgresql", "-d", "tierstack", "-Atc", sql);
	}

	@Override
	public synchronized void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		removeHosts();
		Proc.Result down = swarm(Duration.ofMinutes(3), "down");
		ComposeStack.log("swarm down: " + down.out().strip() + " " + down.err().strip());
	}

}
