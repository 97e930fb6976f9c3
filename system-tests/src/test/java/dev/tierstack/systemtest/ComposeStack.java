package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.DockerClientFactory;

import static org.awaitility.Awaitility.await;

/**
 * The repository's docker-compose.yml, brought up once under a project name of its own on
 * networks that do not overlap any existing one, and always taken down again (with its
 * volumes).
 */
final class ComposeStack implements AutoCloseable {

	static final List<String> LONG_RUNNING_SERVICES = List.of("lb1", "lb2", "web", "app", "db1", "db2", "etcd1",
			"etcd2", "etcd3", "prometheus", "zipkin");

	private static final Duration COMPOSE_TIMEOUT = Duration.ofMinutes(10);

	private final Path root;

	private final List<String> compose;

	private final String project;

	private final String netPrefix;

	/**
	 * The per-client request limit of the stack under test, above the default: the
	 * scenarios' streams stand for many users, all from the host's one address, and after
	 * a load balancer hangs, the client's retries of the requests it held come on top of
	 * the stream, all within a second. {@code HostileClientsIT} reads the limit from the
	 * load balancer, and its heavy client still goes past it.
	 */
	static final int RATE_LIMIT_PER_SEC = 150;

	private final Map<String, String> environment;

	private Duration upToHealthy;

	private Duration upToServing;

	private boolean down;

	private ComposeStack(Path root, List<String> compose, String project, String netPrefix, int httpPort) {
		this.root = root;
		this.compose = compose;
		this.project = project;
		this.netPrefix = netPrefix;
		this.environment = Map.of("TIERSTACK_NET_PREFIX", netPrefix, "TIERSTACK_HTTP_PORT", String.valueOf(httpPort),
				"TIERSTACK_HTTPS_PORT", String.valueOf(httpPort == 0 ? 0 : freePort()), "TIERSTACK_PROMETHEUS_PORT",
				String.valueOf(httpPort == 0 ? 0 : freePort()), "TIERSTACK_ZIPKIN_PORT",
				String.valueOf(httpPort == 0 ? 0 : freePort()), "TIERSTACK_BUILD_TARGET", "from-jar",
				"TIERSTACK_IMAGE_TAG", System.getProperty("tierstack.image.tag", "latest"),
				"TIERSTACK_RATE_LIMIT_PER_SEC", String.valueOf(RATE_LIMIT_PER_SEC));
	}

	/**
	 * Builds the images from the host's jars, brings the stack up and waits for health.
	 */
	static ComposeStack start() {
		Path root = repositoryRoot();
		String attach = System.getProperty("tierstack.attach");
		if (attach != null) {
			// A developer's running stack (-Dtierstack.attach=PROJECT
			// -Dtierstack.netPrefix=10.x):
			// used as it is, never taken down.
			ComposeStack stack = new ComposeStack(root, composeCommand(), attach, freeNetPrefix(), 0);
			stack.upToHealthy = Duration.ZERO;
			stack.upToServing = Duration.ZERO;
			stack.down = true;
			return stack;
		}
		String project = "tierstack-st-"
				+ DateTimeFormatter.ofPattern("MMddHHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
		ComposeStack stack = new ComposeStack(root, composeCommand(), project, freeNetPrefix(), freePort());
		// Registered before anything starts: a failure half-way still takes the stack
		// down.
		Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "compose-down"));
		try {
			stack.up();
		}
		catch (RuntimeException ex) {
			stack.close();
			throw ex;
		}
		return stack;
	}

	/**
	 * Builds the stack's images from the host's jars, as {@link #start()} does, without
	 * starting anything.
	 */
	static void buildImages() {
		new ComposeStack(repositoryRoot(), composeCommand(), "tierstack-build", "10.254", 0).compose("build").orThrow();
	}

	private void up() {
		// With this stack's prefix: the certificate names its VIP and node addresses.
		Proc.run(Duration.ofMinutes(1), this.root, this.environment, List.of("scripts/generate-secrets.sh")).orThrow();
		for (String jar : List.of("app-tier/target/app-tier-exec.jar", "web-tier/target/web-tier-exec.jar",
				"ops/zipkin/target/zipkin-server-exec.jar")) {
			if (!Files.isRegularFile(this.root.resolve(jar))) {
				throw new IllegalStateException(jar + " is missing: the system tests run after `./mvnw package`");
			}
		}
		log("project " + this.project + ", networks " + this.netPrefix + ".{1..9}.0/24, compose: "
				+ String.join(" ", this.compose));
		long buildStart = System.nanoTime();
		compose("build").orThrow();
		log("images built in " + Duration.ofNanos(System.nanoTime() - buildStart).toMillis() + " ms");
		long start = System.nanoTime();
		// Compose 1.29 gives up on dependents as soon as a dependency reports unhealthy,
		// even when its restart policy is about to bring it back: wait for health, then
		// `up` again creates whatever was left out.
		Proc.Result up = compose("up", "-d");
		for (int attempt = 1; !up.ok() && attempt < 3; attempt++) {
			log("up -d failed (" + up.err().strip().lines().reduce((a, b) -> b).orElse("") + "); waiting and retrying");
			waitAllHealthy(Duration.ofMinutes(3), false);
			up = compose("up", "-d");
		}
		up.orThrow();
		waitAllHealthy(Duration.ofMinutes(3), true);
		this.upToHealthy = Duration.ofNanos(System.nanoTime() - start);
		log("up to all healthy in " + this.upToHealthy.toMillis() + " ms");
		waitUntilServing(Duration.ofSeconds(60));
		this.upToServing = Duration.ofNanos(System.nanoTime() - start);
		log("up to an API answer through the VIP in " + this.upToServing.toMillis() + " ms");
	}

	/**
	 * Every container healthy is not yet a working stack: each web node finds the app
	 * replicas through DNS and its own readiness probes, seconds after they turned
	 * healthy. Waits until every web node has answered an API request through the VIP
	 * with an app node behind it, and the last few requests all succeeded.
	 */
	private void waitUntilServing(Duration timeout) {
		HttpClient client = Http.client();
		int webNodes = containers("web").size();
		Set<String> webNodesServing = new TreeSet<>();
		AtomicReference<String> last = new AtomicReference<>("no answer");
		try {
			await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(250))
				.pollInSameThread()
				.until(() -> servedInARow(client, 4 * webNodes, webNodesServing, last)
						&& webNodesServing.size() == webNodes);
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("the API through the VIP not served by all " + webNodes
					+ " web nodes within " + timeout + ": " + webNodesServing + ", last: " + last.get(), ex);
		}
	}

	/**
	 * Whether {@code count} API requests in a row through the VIP were answered with an
	 * app node behind them; stops at the first that was not.
	 */
	private boolean servedInARow(HttpClient client, int count, Set<String> webNodesServing,
			AtomicReference<String> last) {
		for (int i = 0; i < count; i++) {
			try {
				HttpResponse<String> response = Http.get(client, vipUrl(), "/api/books?size=1");
				last.set("HTTP " + response.statusCode());
				if (response.statusCode() != 200 || response.headers().firstValue("X-App-Node").isEmpty()) {
					return false;
				}
				response.headers().firstValue("X-Web-Node").ifPresent(webNodesServing::add);
			}
			catch (IllegalStateException ex) {
				last.set(ex.getMessage());
				return false;
			}
		}
		return true;
	}

	Duration upToHealthy() {
		return this.upToHealthy;
	}

	Duration upToServing() {
		return this.upToServing;
	}

	String project() {
		return this.project;
	}

	/** The site's address: HTTPS on the VIP. */
	String vipUrl() {
		return "https://" + vip();
	}

	String vip() {
		return this.netPrefix + ".1.10";
	}

	/** A load balancer's own address on the edge network (where the VIP lives). */
	String edgeAddress(String lb) {
		return this.netPrefix + ".1." + ("lb1".equals(lb) ? "11" : "12");
	}

	/** Where the host reaches a port lb1 publishes, as {@code 127.0.0.1:PORT}. */
	String published(int containerPort) {
		return Proc.docker(Duration.ofSeconds(30), "port", containers("lb1").get(0), containerPort + "/tcp")
			.orThrow()
			.lines()
			.get(0)
			.strip();
	}

	/** The address of a load balancer's ops port (stats, metrics) on the web network. */
	String opsAddress(String lb) {
		return this.netPrefix + ".2." + ("lb1".equals(lb) ? "11" : "12");
	}

	/** Prometheus' HTTP API, on its address on the operations network. */
	String prometheusUrl() {
		return "http://" + this.netPrefix + ".6.5:9090";
	}

	/** Zipkin's HTTP API, on its address on the operations network. */
	String zipkinUrl() {
		return "http://" + this.netPrefix + ".6.6:9411";
	}

	/** The host's own address on a network: its bridge, the network's gateway. */
	String hostAddress(String network) {
		return subnet(network).replace("0/24", "1");
	}

	String subnet(String network) {
		int third = switch (network) {
			case "edge" -> 1;
			case "web" -> 2;
			case "app" -> 3;
			case "data" -> 4;
			case "dbpeer" -> 5;
			case "ops" -> 6;
			case "ops-web" -> 7;
			case "ops-app" -> 8;
			case "ops-db" -> 9;
			default -> throw new IllegalArgumentException(network);
		};
		return this.netPrefix + "." + third + ".0/24";
	}

	Proc.Result compose(String... arguments) {
		List<String> command = new ArrayList<>(this.compose);
		command.addAll(List.of("-p", this.project, "-f", this.root.resolve("docker-compose.yml").toString()));
		command.addAll(List.of(arguments));
		return Proc.run(COMPOSE_TIMEOUT, this.root, this.environment, command);
	}

	/** Container ids of a service, in a stable order (by container name). */
	List<String> containers(String service) {
		return Proc
			.docker(Duration.ofSeconds(30), "ps", "-a", "--filter", "label=com.docker.compose.project=" + this.project,
					"--filter", "label=com.docker.compose.service=" + service, "--format", "{{.Names}} {{.ID}}")
			.orThrow()
			.lines()
			.stream()
			.sorted()
			.map((line) -> line.substring(line.indexOf(' ') + 1))
			.toList();
	}

	String inspect(String container, String format) {
		return Proc.docker(Duration.ofSeconds(30), "inspect", "-f", format, container).orThrow().trimmed();
	}

	/** A setting from the container's environment, or "" when it has none. */
	String setting(String container, String name) {
		return inspect(container, "{{range .Config.Env}}{{println .}}{{end}}").lines()
			.filter((line) -> line.startsWith(name + "="))
			.map((line) -> line.substring(name.length() + 1))
			.findFirst()
			.orElse("");
	}

	String name(String container) {
		return inspect(container, "{{.Name}}").replaceFirst("^/", "");
	}

	String service(String container) {
		return inspect(container, "{{index .Config.Labels \"com.docker.compose.service\"}}");
	}

	/** The container's address on a network, or "" when it has none (stopped). */
	String ip(String container, String network) {
		ContainerNetwork endpoint = endpoint(container, network);
		return (endpoint != null && endpoint.getIpAddress() != null) ? endpoint.getIpAddress() : "";
	}

	/** The container's endpoint on a network, or null when it is not on it. */
	private ContainerNetwork endpoint(String container, String network) {
		return docker().inspectContainerCmd(container)
			.exec()
			.getNetworkSettings()
			.getNetworks()
			.get(networkName(network));
	}

	String inspectNetwork(String network, String format) {
		return Proc.docker(Duration.ofSeconds(30), "network", "inspect", "-f", format, networkName(network))
			.orThrow()
			.trimmed();
	}

	String networkName(String network) {
		return this.project + "_" + network;
	}

	/**
	 * The engine's view: "healthy", "starting", "unhealthy", or the state without a
	 * check. Asked through the engine's API in this JVM: a `docker` CLI process per poll
	 * costs ~0.1 s of CPU, which a 2-core host under test cannot spare.
	 */
	String health(String container) {
		return health(docker().inspectContainerCmd(container).exec());
	}

	private static String health(InspectContainerResponse container) {
		InspectContainerResponse.ContainerState state = container.getState();
		if (state.getHealth() != null) {
			return state.getHealth().getStatus();
		}
		return state.getStatus() + ":" + state.getExitCodeLong();
	}

	private static DockerClient docker() {
		return DockerClientFactory.instance().client();
	}

	Proc.Result exec(String container, String... command) {
		List<String> arguments = new ArrayList<>(List.of("docker", "exec", container));
		arguments.addAll(List.of(command));
		return Proc.run(Duration.ofSeconds(30), null, Map.of(), arguments);
	}

	/** What a load balancer's HAProxy answers to a command on its admin socket. */
	List<String> haproxyAdmin(String container, String command) {
		return exec(container, "perl", "-MIO::Socket::UNIX", "-e",
				"my $s = IO::Socket::UNIX->new(Peer => '/run/haproxy/admin.sock') or die \"$!\\n\"; print $s \""
						+ command + "\\n\"; print while <$s>;")
			.orThrow()
			.lines();
	}

	/**
	 * A second address of this host on the edge network, added to the network's bridge
	 * until {@link #removeSecondHostAddress()}: sockets this JVM binds to it are another
	 * client to the load balancers than the rest of this JVM.
	 */
	InetAddress addSecondHostAddress() {
		Proc.run(Duration.ofSeconds(10), "ip", "addr", "replace", secondHostAddress() + "/32", "dev", edgeBridge())
			.orThrow();
		try {
			return InetAddress.getByName(secondHostAddress());
		}
		catch (UnknownHostException ex) {
			throw new IllegalStateException(ex);
		}
	}

	void removeSecondHostAddress() {
		Proc.run(Duration.ofSeconds(10), "ip", "addr", "del", secondHostAddress() + "/32", "dev", edgeBridge());
	}

	private String secondHostAddress() {
		return this.netPrefix + ".1.201";
	}

	private String edgeBridge() {
		return "br-" + inspectNetwork("edge", "{{.Id}}").substring(0, 12);
	}

	/**
	 * The address of {@link #runOtherClient}: on the edge network, clear of the VIP and
	 * the load balancers.
	 */
	String otherClientAddress() {
		return this.netPrefix + ".1.200";
	}

	/**
	 * Runs {@code script} (bash, bounded in time by itself) as another client of the site
	 * than this JVM: a container of the load balancers' image (it has curl) on the edge
	 * network, at {@link #otherClientAddress()}, held to {@code cpus} of the host, with
	 * {@code input} on its standard input.
	 */
	Proc.Result runOtherClient(Duration timeout, double cpus, String script, String input) {
		String name = this.project + "-other-client";
		Proc.docker(Duration.ofSeconds(30), "rm", "-f", name);
		try {
			return Proc.run(timeout, null, Map.of(),
					List.of("docker", "run", "--rm", "-i", "--name", name, "--network", networkName("edge"), "--ip",
							otherClientAddress(), "--cpus", String.valueOf(cpus), "--security-opt", "no-new-privileges",
							"--entrypoint", "bash", "tierstack/haproxy:" + this.environment.get("TIERSTACK_IMAGE_TAG"),
							"-c", script),
					input);
		}
		finally {
			Proc.docker(Duration.ofSeconds(30), "rm", "-f", name);
		}
	}

	void kill(String container) {
		Proc.docker(Duration.ofSeconds(30), "kill", container).orThrow();
	}

	/**
	 * Freezes every process of the container ({@code docker pause}): its kernel still
	 * accepts connections, and nothing answers them. The cgroup freezer gives up when a
	 * process will not stop at once (a fork under way: "unable to freeze"); asked again,
	 * it freezes.
	 */
	void pause(String container) {
		Proc.Result paused = Proc.docker(Duration.ofSeconds(30), "pause", container);
		for (int attempt = 1; !paused.ok() && paused.err().contains("unable to freeze") && attempt < 3; attempt++) {
			sleep(Duration.ofMillis(100));
			paused = Proc.docker(Duration.ofSeconds(30), "pause", container);
		}
		paused.orThrow();
	}

	void unpause(String container) {
		Proc.docker(Duration.ofSeconds(30), "unpause", container).orThrow();
	}

	/**
	 * Drops (or, with {@code drop} false, lets through again) every packet the container
	 * sends on one of its networks: an iptables rule in the container's network
	 * namespace, entered from the host (the container itself may not change its rules).
	 */
	void dropOutgoing(String container, String network, boolean drop) {
		String pid = inspect(container, "{{.State.Pid}}");
		String address = ip(container, network);
		String device = Proc
			.run(Duration.ofSeconds(10), "nsenter", "-t", pid, "-n", "ip", "-o", "-4", "addr", "show", "to", address)
			.orThrow()
			.trimmed()
			.split("\\s+")[1];
		Proc.run(Duration.ofSeconds(10), "nsenter", "-t", pid, "-n", "iptables", drop ? "-I" : "-D", "OUTPUT", "-o",
				device, "-j", "DROP")
			.orThrow();
	}

	/**
	 * Takes the container off one of its networks ({@code docker network disconnect}):
	 * its interface there is gone, with its routes and its name in that network's DNS.
	 * Returns its place there, which {@link #connect(Attachment)} gives back.
	 */
	Attachment disconnect(String container, String network) {
		ContainerNetwork endpoint = endpoint(container, network);
		if (endpoint == null) {
			throw new IllegalStateException(container + " is not on " + network);
		}
		Attachment attachment = new Attachment(container, networkName(network), endpoint.getIpAddress(),
				(endpoint.getAliases() != null) ? List.copyOf(endpoint.getAliases()) : List.of());
		Proc.docker(Duration.ofSeconds(30), "network", "disconnect", attachment.network(), container).orThrow();
		return attachment;
	}

	/**
	 * Connects the container again where {@link #disconnect} took it off: the same
	 * address and the same aliases, so that its peers find it under its service's name
	 * again.
	 */
	void connect(Attachment attachment) {
		List<String> command = new ArrayList<>(List.of("network", "connect", "--ip", attachment.address()));
		attachment.aliases().forEach((alias) -> command.addAll(List.of("--alias", alias)));
		command.addAll(List.of(attachment.network(), attachment.container()));
		Proc.docker(Duration.ofSeconds(30), command.toArray(String[]::new)).orThrow();
	}

	/** Where a container was on a network: its address and aliases there. */
	record Attachment(String container, String network, String address, List<String> aliases) {
	}

	/**
	 * Every query the container with the given process sends to Docker's embedded DNS
	 * server (127.0.0.11, which the engine answers) left unanswered, as when the engine
	 * stalls. The queries are dropped where they arrive (the server listens in the
	 * container's own namespace), so that the sender sees no error, only a silence.
	 */
	static void dropDns(String pid) {
		dnsRule(pid, "-I").orThrow();
	}

	/**
	 * The container's DNS answered again: every rule {@link #dropDns} added removed (none
	 * left is not an error).
	 */
	static void answerDnsAgain(String pid) {
		int removed = 0;
		while (removed < 10 && dnsRule(pid, "-D").exitCode() == 0) {
			removed++;
		}
	}

	private static Proc.Result dnsRule(String pid, String action) {
		return Proc.run(Duration.ofSeconds(10), "nsenter", "-t", pid, "-n", "iptables", action, "INPUT", "-d",
				"127.0.0.11", "-j", "DROP");
	}

	/**
	 * Drops (or, with {@code drop} false, lets through again) every VRRP packet (IP
	 * protocol 112) that the container with the given process receives: a load balancer
	 * deaf to its peer's adverts, as a host stall makes it. The process id is looked up
	 * beforehand ({@code inspect}), so that the fault takes no more than one command.
	 */
	static void dropIncomingVrrp(String pid, boolean drop) {
		Proc.run(Duration.ofSeconds(10), "nsenter", "-t", pid, "-n", "iptables", drop ? "-I" : "-D", "INPUT", "-p",
				"112", "-j", "DROP")
			.orThrow();
	}

	/**
	 * Sends a signal (STOP, CONT) to every process of the container that runs the given
	 * command, from the host, by pid.
	 */
	void signal(String container, String command, String signal) {
		List<String> pids = Proc.docker(Duration.ofSeconds(30), "top", container, "-o", "pid,comm")
			.orThrow()
			.lines()
			.stream()
			.skip(1)
			.map((line) -> line.split("\\s+"))
			.filter((fields) -> fields.length == 2 && fields[1].equals(command))
			.map((fields) -> fields[0])
			.toList();
		if (pids.isEmpty()) {
			throw new IllegalStateException("no " + command + " process in " + container);
		}
		List<String> kill = new ArrayList<>(List.of("kill", "-" + signal));
		kill.addAll(pids);
		Proc.run(Duration.ofSeconds(10), null, Map.of(), kill).orThrow();
	}

	/**
	 * When the engine saw the container's process end, on this JVM's {@code nanoTime}
	 * scale (the engine and this JVM share the host's clock).
	 */
	long diedAtNanos(String container) {
		Instant finished = Instant.parse(inspect(container, "{{.State.FinishedAt}}"));
		long nowNanos = System.nanoTime();
		Instant now = Instant.now();
		return nowNanos - Duration.between(finished, now).toNanos();
	}

	void startAndWaitHealthy(String container, Duration timeout) {
		Proc.docker(Duration.ofSeconds(60), "start", container).orThrow();
		waitHealthy(container, timeout);
	}

	/**
	 * `docker restart`: SIGTERM, graceful shutdown (bounded), start, then wait for
	 * health.
	 */
	void restartAndWaitHealthy(String container, Duration timeout) {
		restart(container);
		waitHealthy(container, timeout);
	}

	/** `docker restart`: SIGTERM, graceful shutdown (bounded), start. */
	void restart(String container) {
		Proc.docker(Duration.ofSeconds(90), "restart", "-t", "25", container).orThrow();
	}

	void waitHealthy(String container, Duration timeout) {
		try {
			await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(200))
				.until(() -> health(container), "healthy"::equals);
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException(name(container) + " not healthy after " + timeout + ": " + health(container)
					+ "\n" + Proc.docker(Duration.ofSeconds(30), "logs", "--tail", "60", container).out(), ex);
		}
	}

	/**
	 * Waits until every container that exists is healthy (or, for the migration, exited
	 * 0); with {@code complete}, also until every long-running service has containers.
	 */
	private void waitAllHealthy(Duration timeout, boolean complete) {
		try {
			await().atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(250))
				.until(this::states, (states) -> allHealthy(states, complete));
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException("stack not healthy after " + timeout + ": " + states() + "\n"
					+ compose("logs", "--no-color", "--tail", "40").out(), ex);
		}
	}

	private static boolean allHealthy(Map<String, String> states, boolean complete) {
		boolean migrated = states.entrySet()
			.stream()
			.anyMatch((e) -> e.getKey().startsWith("migrate ") && e.getValue().equals("exited:0"));
		boolean allHealthy = states.entrySet()
			.stream()
			.filter((e) -> !e.getKey().startsWith("migrate "))
			.allMatch((e) -> e.getValue().equals("healthy"));
		Set<String> services = states.keySet()
			.stream()
			.map((key) -> key.substring(0, key.indexOf(' ')))
			.collect(Collectors.toSet());
		return migrated && allHealthy && (!complete || services.containsAll(LONG_RUNNING_SERVICES));
	}

	/**
	 * "service container-name" to health (or state:exit-code for containers without a
	 * check).
	 */
	Map<String, String> states() {
		Map<String, String> states = new TreeMap<>();
		List<Container> containers = docker().listContainersCmd()
			.withShowAll(true)
			.withLabelFilter(Map.of("com.docker.compose.project", this.project))
			.exec();
		for (Container container : containers) {
			InspectContainerResponse inspected = docker().inspectContainerCmd(container.getId()).exec();
			String service = container.getLabels().get("com.docker.compose.service");
			states.put(service + " " + inspected.getName().replaceFirst("^/", ""), health(inspected));
		}
		return states;
	}

	/** Memory in use per container, as `docker stats` reports it. */
	Map<String, String> memory() {
		Map<String, String> usage = new LinkedHashMap<>();
		List<String> arguments = new ArrayList<>(
				List.of("docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}"));
		List<String> running = Proc
			.docker(Duration.ofSeconds(30), "ps", "-q", "--filter", "label=com.docker.compose.project=" + this.project)
			.orThrow()
			.lines();
		if (running.isEmpty()) {
			return usage;
		}
		arguments.addAll(running);
		for (String line : Proc.run(Duration.ofSeconds(60), null, Map.of(), arguments).orThrow().lines()) {
			String[] parts = line.split("\t");
			usage.put(parts[0], parts[1] + " (cpu " + parts[2] + ")");
		}
		return new TreeMap<>(usage);
	}

	/**
	 * A container's log lines since an instant (stdout and stderr, each with the engine's
	 * timestamp) in which the pattern is found.
	 */
	List<String> logLines(String container, Instant since, Pattern pattern) {
		return matchingLines(
				Proc.docker(Duration.ofSeconds(60), "logs", "--timestamps", "--since", since.toString(), container),
				pattern);
	}

	/**
	 * The lines of a {@code docker logs --timestamps} (or {@code docker service logs})
	 * output, stdout and stderr, in which the pattern is found, in time order.
	 */
	static List<String> matchingLines(Proc.Result logs, Pattern pattern) {
		return Stream.concat(logs.out().lines(), logs.err().lines())
			.filter((line) -> pattern.matcher(line).find())
			.sorted()
			.toList();
	}

	String logs(String service) {
		return compose("logs", "--no-color", service).out();
	}

	@Override
	public synchronized void close() {
		if (this.down) {
			return;
		}
		this.down = true;
		if (Boolean.getBoolean("tierstack.keepStack")) {
			log("leaving project " + this.project + " running (tierstack.keepStack)");
			return;
		}
		// A client container left by a test stopped half-way would keep the edge network.
		Proc.docker(Duration.ofSeconds(30), "rm", "-f", this.project + "-other-client");
		Proc.Result result = compose("down", "-v", "--remove-orphans", "-t", "5");
		log("down -v: exit " + result.exitCode());
	}

	static void log(String message) {
		System.out.println("[system-tests] " + message);
	}

	/**
	 * A pause that is part of a scenario (a stream's pace, a settle time); waiting for a
	 * condition is Awaitility's.
	 */
	static void sleep(Duration duration) {
		try {
			Thread.sleep(duration);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * `docker compose` (v2) where the plugin exists, else Compose 1.29's
	 * `docker-compose`.
	 */
	static List<String> composeCommand() {
		if (Proc.run(Duration.ofSeconds(30), "docker", "compose", "version").ok()) {
			return List.of("docker", "compose");
		}
		if (Proc.run(Duration.ofSeconds(30), "docker-compose", "version").ok()) {
			return List.of("docker-compose");
		}
		throw new IllegalStateException("neither `docker compose` nor `docker-compose` is installed");
	}

	static Path repositoryRoot() {
		String configured = System.getProperty("tierstack.root");
		Path dir = (configured != null) ? Path.of(configured) : Path.of("").toAbsolutePath();
		while (dir != null) {
			if (Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
				return dir.toAbsolutePath();
			}
			dir = dir.getParent();
		}
		throw new IllegalStateException("docker-compose.yml not found above " + Path.of("").toAbsolutePath());
	}

	/**
	 * The first 10.x prefix from 10.213 on whose four /24 networks no existing Docker
	 * network uses: a stack a developer runs on the default 10.203 keeps working.
	 */
	static String freeNetPrefix() {
		String configured = System.getProperty("tierstack.netPrefix");
		if (configured != null) {
			return configured;
		}
		List<String> ids = Proc.docker(Duration.ofSeconds(30), "network", "ls", "-q").orThrow().lines();
		List<String> arguments = new ArrayList<>(
				List.of("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"));
		arguments.addAll(ids);
		String used = Proc.docker(Duration.ofSeconds(30), arguments.toArray(String[]::new)).out();
		for (int second = 213; second < 250; second++) {
			String prefix = "10." + second + ".";
			if (!used.contains(prefix) && !used.contains("10.0.0.0/8")) {
				return "10." + second;
			}
		}
		throw new IllegalStateException("no free 10.x prefix for the test networks: " + used);
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
