package dev.tierstack.systemtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load balancer's configuration, checked by the very binaries that run it: HAProxy's
 * and keepalived's own parsers inside the haproxy image.
 */
@EnabledIfDockerAvailable
@Order(0)
class HaproxyConfigIT {

	private static final String IMAGE = "tierstack/haproxy:" + System.getProperty("tierstack.image.tag", "latest");

	@BeforeAll
	static void buildImage() {
		Proc.docker(Duration.ofMinutes(5), "build", "--network", "host", "-q", "-t", IMAGE,
				ComposeStack.repositoryRoot().resolve("haproxy").toString())
			.orThrow();
		// The certificate and ticket keys the configuration loads.
		Proc.run(Duration.ofMinutes(1), ComposeStack.repositoryRoot(), Map.of(), List.of("scripts/generate-secrets.sh"))
			.orThrow();
	}

	@Test
	void haproxyAcceptsTheConfigurationWithoutAnyWarning() {
		Path secrets = ComposeStack.repositoryRoot().resolve("secrets");
		// zero-warning in the file turns any warning into a failed check.
		Proc.Result result = Proc.docker(Duration.ofMinutes(1), "run", "--rm", "--network", "none", "-e",
				"STATS_ADDR=127.0.0.1", "-e", "NODE_NAME=lb1", "-v",
				secrets.resolve("tls/lb.pem") + ":/run/secrets/lb_tls_cert:ro", "-v",
				secrets.resolve("tls_ticket_keys.txt") + ":/run/secrets/tls_ticket_keys:ro", IMAGE, "haproxy", "-c",
				"-f", "/etc/haproxy/haproxy.cfg");
		assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
		assertThat(result.out()).contains("Configuration file is valid");
	}

	@Test
	void keepalivedAcceptsTheRenderedTemplateForBothNodes() {
		for (String[] node : new String[][] { { "lb1", "10.203.1.11", "10.203.1.12", "100" },
				{ "lb2", "10.203.1.12", "10.203.1.11", "100" } }) {
			// keepalived wants a real (non-loopback) interface: the default bridge's
			// eth0. It ends
			// its whole process group after the check, hence the exec.
			Proc.Result result = Proc.docker(Duration.ofMinutes(1), "run", "--rm", "-e", "NODE_NAME=" + node[0], "-e",
					"NODE_ADDR=" + node[1], "-e", "PEER_ADDR=" + node[2], "-e", "PRIORITY=" + node[3], "-e",
					"VIP=10.203.1.10", "-e", "VRRP_INTERFACE=eth0", "--entrypoint", "bash", IMAGE, "-c",
					"lb-entrypoint render >/tmp/keepalived.conf && cat /tmp/keepalived.conf && exec keepalived -t -l -f /tmp/keepalived.conf");
			assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
			String config = result.out()
				.lines()
				.filter((line) -> !line.strip().startsWith("#"))
				.collect(java.util.stream.Collectors.joining("\n"));
			assertThat(config).contains("priority " + node[3])
				.contains("unicast_src_ip " + node[1])
				.contains(node[2])
				.contains("10.203.1.10/32")
				.contains("advert_int 0.1")
				.contains("vrrp_version 3")
				.contains("track_file")
				.doesNotContain("nopreempt")
				.doesNotContain("authentication")
				.doesNotContainPattern("@[A-Z_]+@");
		}
	}

	/**
	 * The answers HAProxy makes when no web node can take a request (503) or the one it
	 * was sent to never answers (504): a problem document on {@code /api}, the site's
	 * page elsewhere, with {@code Retry-After}. A load balancer alone on a network of its
	 * own, then beside a stub web node (an HAProxy that is ready but holds every
	 * request).
	 */
	@Test
	void aMissingOrSilentWebTierIsAnsweredInTheFormatOfTheRequest(@TempDir Path temp) throws Exception {
		String name = "tierstack-lbtest-" + ProcessHandle.current().pid();
		try {
			startLoadBalancer(name);
			Map<String, String> answers = new TreeMap<>();
			for (String path : List.of("/api/books", "/books/9781900000017")) {
				answers.put("no web node " + path, answer(name + "-lb", path));
			}
			startStubWebNode(name, temp, "http-request tarpit");
			answers.putAll(Concurrently
				.run(Map.of("a silent web node /api/books", () -> answer(name + "-lb", "/api/books"),
						"a silent web node /books/9781900000017", () -> answer(name + "-lb", "/books/9781900000017"))));
			Results.of("haproxy-own-errors").put("answers", answers).write();
			String problem = "content-type: application/problem+json";
			String page = "content-type: text/html; charset=utf-8";
			assertThat(answers.get("no web node /api/books")).contains("HTTP/2 503", "retry-after: 5", problem,
					"\"type\":\"urn:tierstack:problem:service-unavailable\"");
			assertThat(answers.get("no web node /books/9781900000017")).contains("HTTP/2 503", "retry-after: 5", page,
					"class=\"problem\"");
			assertThat(answers.get("a silent web node /api/books")).contains("HTTP/2 504", "retry-after: 5", problem,
					"\"type\":\"urn:tierstack:problem:gateway-timeout\"", "\"status\":504");
			assertThat(answers.get("a silent web node /books/9781900000017")).contains("HTTP/2 504", "retry-after: 5",
					page, "The bookshop is taking too long to answer");
		}
		finally {
			removeLoadBalancerAndStub(name);
		}
	}

	/**
	 * A web node that answers with a response HAProxy cannot parse (a
	 * {@code Content-Length} that is not a number) gets the client a 502 in the format of
	 * its request: the problem document on {@code /api}, the site's page elsewhere, with
	 * {@code Retry-After} (such an answer is not among the load balancer's
	 * {@code retry-on} conditions).
	 */
	@Test
	void aWebNodeThatAnswersGarbageIsAnsweredInTheFormatOfTheRequest() throws Exception {
		String name = "tierstack-lbtest-" + ProcessHandle.current().pid();
		try {
			startLoadBalancer(name);
			startGarbageWebNode(name);
			Map<String, String> answers = new TreeMap<>();
			for (String path : List.of("/api/books", "/books/9781900000017")) {
				answers.put("garbage from the web node " + path, answer(name + "-lb", path));
			}
			Results.of("haproxy-bad-gateway").put("answers", answers).write();
			assertThat(answers.get("garbage from the web node /api/books")).contains("HTTP/2 502", "retry-after: 5",
					"content-type: application/problem+json", "\"type\":\"urn:tierstack:problem:bad-gateway\"",
					"\"status\":502");
			assertThat(answers.get("garbage from the web node /books/9781900000017")).contains("HTTP/2 502",
					"retry-after: 5", "content-type: text/html; charset=utf-8",
					"The bookshop is unavailable at the moment");
		}
		finally {
			removeLoadBalancerAndStub(name);
		}
	}

	/**
	 * A static asset under a content-hashed name is answered from the load balancer's
	 * cache after the first request, one copy per encoding; an asset under its plain name
	 * and a page are always asked of a web node. The stub web node stamps every answer it
	 * makes with an id of its own.
	 */
	@Test
	void hashedAssetsAreAnsweredFromTheLoadBalancersCache(@TempDir Path temp) throws Exception {
		String name = "tierstack-lbcache-" + ProcessHandle.current().pid();
		try {
			startLoadBalancer(name);
			startStubWebNode(name, temp,
					"""
								http-request return status 200 content-type text/css hdr Cache-Control "max-age=31536000, public, immutable" hdr Vary Accept-Encoding hdr X-Origin-Id "%[uuid()]" hdr Content-Encoding gzip string "gzip" if { path_beg /css/site- } { req.hdr(accept-encoding) -m sub gzip }
								http-request return status 200 content-type text/css hdr Cache-Control "max-age=31536000, public, immutable" hdr Vary Accept-Encoding hdr X-Origin-Id "%[uuid()]" string "body{}" if { path_beg /css/site- }
								http-request return status 200 content-type text/css hdr Cache-Control no-cache hdr X-Origin-Id "%[uuid()]" string "body{}" if { path_beg /css/ }
								http-request return status 200 content-type text/html hdr Cache-Control "no-cache, no-store" hdr X-Origin-Id "%[uuid()]" string "<p>page</p>"
							""");
			String hashed = "/css/site-0a945b99a1e5157329126bd1b1af142a.css";
			Map<String, List<String>> origins = originsOfThree(name + "-lb",
					List.of(hashed, "/css/site.css", "/books/9781900000017"));
			// An answer in gzip is kept apart: a client that did not ask for it never
			// gets it.
			String other = "/css/site-1b945b99a1e5157329126bd1b1af142a.css";
			String gzip = answer(name + "-lb", other, "Accept-Encoding: gzip");
			String plain = answer(name + "-lb", other);
			Results.of("haproxy-asset-cache")
				.put("origin ids", origins)
				.put("gzip, then plain", List.of(originId(gzip), originId(plain)))
				.write();
			assertThat(origins.get(hashed)).as("one answer of the web node, then copies")
				.hasSize(3)
				.doesNotContainNull();
			assertThat(Set.copyOf(origins.get(hashed))).hasSize(1);
			assertThat(answer(name + "-lb", hashed)).containsPattern("(?m)^age: \\d+");
			assertThat(Set.copyOf(origins.get("/css/site.css"))).as("a plain name is asked every time").hasSize(3);
			assertThat(Set.copyOf(origins.get("/books/9781900000017"))).as("a page is asked every time").hasSize(3);
			assertThat(gzip).contains("content-encoding: gzip");
			assertThat(plain).doesNotContain("content-encoding").endsWith("body{}");
			assertThat(originId(plain)).isNotNull().isNotEqualTo(originId(gzip));
		}
		finally {
			removeLoadBalancerAndStub(name);
		}
	}

	/**
	 * The catalog page is kept for at most a second, one copy per query; a page that sets
	 * a cookie, and a client that asks past the cache (Cache-Control: no-cache), get a
	 * web node's answer.
	 */
	@Test
	void theCatalogPageIsKeptForASecond(@TempDir Path temp) throws Exception {
		String name = "tierstack-lbcatalog-" + ProcessHandle.current().pid();
		try {
			startLoadBalancer(name);
			startStubWebNode(name, temp,
					"""
								http-request return status 200 content-type text/html hdr Cache-Control "max-age=1, public" hdr Set-Cookie "XSRF-TOKEN=x" hdr X-Origin-Id "%[uuid()]" string "<p>catalog</p>" if { path / } { query -m sub cookie }
								http-request return status 200 content-type text/html hdr Cache-Control "max-age=60, public" hdr X-Origin-Id "%[uuid()]" string "<p>catalog</p>" if { path / }
								http-request return status 200 content-type text/html hdr Cache-Control "max-age=60, public" hdr X-Origin-Id "%[uuid()]" string "<p>book</p>"
							""");
			Map<String, List<String>> origins = originsOfThree(name + "-lb",
					List.of("/", "/?page=2", "/?q=cookie", "/books/9781900000017"));
			String pastTheCache = originId(answer(name + "-lb", "/", "Cache-Control: no-cache"));
			String kept = originId(answer(name + "-lb", "/?page=3"));
			Thread.sleep(2100);
			String later = originId(answer(name + "-lb", "/?page=3"));
			Results.of("haproxy-catalog-cache")
				.put("origin ids", origins)
				.put("asked past the cache", pastTheCache)
				.put("page 3, then 2.1 s later", List.of(kept, later))
				.write();
			// A copy lasts until HAProxy's clock passes a whole second after it was
			// stored:
			// three requests in a row may straddle that once, never twice.
			origins.values().forEach((ids) -> assertThat(ids).hasSize(3).doesNotContainNull());
			assertThat(Set.copyOf(origins.get("/"))).as("one answer, then copies").hasSizeLessThan(3);
			assertThat(Set.copyOf(origins.get("/?page=2"))).hasSizeLessThan(3)
				.doesNotContainAnyElementsOf(origins.get("/"));
			assertThat(Set.copyOf(origins.get("/?q=cookie"))).as("an answer with a cookie is never kept").hasSize(3);
			assertThat(Set.copyOf(origins.get("/books/9781900000017"))).as("only the catalog is kept").hasSize(3);
			assertThat(pastTheCache).isNotNull().isNotIn(origins.get("/"));
			assertThat(later).as("kept a second at most, whatever the web node says").isNotNull().isNotEqualTo(kept);
		}
		finally {
			removeLoadBalancerAndStub(name);
		}
	}

	/**
	 * A load balancer alone on an internal network NAME, answering once it listens.
	 */
	private static void startLoadBalancer(String name) throws InterruptedException {
		Path secrets = ComposeStack.repositoryRoot().resolve("secrets");
		Proc.docker(Duration.ofMinutes(1), "network", "create", "--internal", name).orThrow();
		Proc.docker(Duration.ofMinutes(1), "run", "-d", "--name", name + "-lb", "--network", name, "-e",
				"NODE_NAME=lb1", "-v", secrets.resolve("tls/lb.pem") + ":/run/secrets/lb_tls_cert:ro", "-v",
				secrets.resolve("tls_ticket_keys.txt") + ":/run/secrets/tls_ticket_keys:ro", "--entrypoint", "bash",
				IMAGE, "-c", "mkdir -p /run/haproxy && exec haproxy -db -f /etc/haproxy/haproxy.cfg")
			.orThrow();
		// Listening once it answers at all (curl prints nothing for a refused
		// connection).
		long started = System.nanoTime();
		while (answer(name + "-lb", "/").isEmpty() && System.nanoTime() - started < 20_000_000_000L) {
			Thread.sleep(250);
		}
	}

	/**
	 * A stub web node beside the load balancer: an HAProxy (in the same image) that
	 * passes its readiness check and answers everything else by RULES, in rotation once
	 * the load balancer's checks passed.
	 */
	private static void startStubWebNode(String name, Path temp, String rules) throws Exception {
		Path stub = temp.resolve("stub.cfg");
		Files.writeString(stub, """
				defaults
					mode http
					timeout client 60s
					timeout connect 5s
					timeout server 60s
					timeout tarpit 60s
				frontend web
					bind :8080
					http-request return status 200 if { path /readyz }
				""" + rules.indent(1));
		Proc.docker(Duration.ofMinutes(1), "run", "-d", "--name", name + "-web", "--network", name, "--network-alias",
				"web", "-v", stub + ":/stub.cfg:ro", "--entrypoint", "haproxy", IMAGE, "-db", "-f", "/stub.cfg")
			.orThrow();
		// In rotation after two passed checks, a second apart.
		Thread.sleep(3000);
	}

	/**
	 * A web node beside the load balancer that passes its readiness check and answers
	 * every other request with a response head no HTTP parser accepts: a few lines of
	 * Perl (in every Debian image), since an HAProxy stub only says valid HTTP.
	 */
	private static void startGarbageWebNode(String name) throws Exception {
		String server = """
				use IO::Socket::INET;
				$SIG{PIPE} = 'IGNORE';
				my $server = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "$!";
				while (my $client = $server->accept) {
					my $first = <$client> // "";
					while (my $line = <$client>) { last if $line =~ /^\\r?\\n$/; }
					if ($first =~ m{^GET /readyz }) {
						print $client "HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n";
					}
					else {
						print $client "HTTP/1.1 200 OK\\r\\nContent-Length: twelve\\r\\nConnection: close\\r\\n\\r\\nnot a length";
					}
					close $client;
				}
				""";
		Proc.docker(Duration.ofMinutes(1), "run", "-d", "--name", name + "-web", "--network", name, "--network-alias",
				"web", "--entrypoint", "perl", IMAGE, "-e", server)
			.orThrow();
		// In rotation after two passed checks, a second apart.
		Thread.sleep(3000);
	}

	private static void removeLoadBalancerAndStub(String name) {
		Proc.docker(Duration.ofMinutes(1), "rm", "-f", name + "-lb", name + "-web");
		Proc.docker(Duration.ofMinutes(1), "network", "rm", name);
	}

	/**
	 * For each of PATHS, the origin ids of three requests in a row, made by one curl
	 * (well within a second).
	 */
	private static Map<String, List<String>> originsOfThree(String container, List<String> paths) {
		Map<String, List<String>> origins = new TreeMap<>();
		for (String path : paths) {
			origins.put(path,
					answers(container, Collections.nCopies(3, path)).lines()
						.filter((line) -> line.startsWith("x-origin-id: "))
						.map((line) -> line.substring("x-origin-id: ".length()).strip())
						.toList());
		}
		return origins;
	}

	private static String originId(String answer) {
		return answer.lines()
			.filter((line) -> line.startsWith("x-origin-id: "))
			.map((line) -> line.substring("x-origin-id: ".length()).strip())
			.findFirst()
			.orElse(null);
	}

	/**
	 * Status line, headers and body of a GET over HTTPS from inside the load balancer.
	 */
	private static String answer(String container, String path, String... headers) {
		return answers(container, List.of(path), headers);
	}

	/**
	 * The same for each of PATHS in turn, by one curl over one connection.
	 */
	private static String answers(String container, List<String> paths, String... headers) {
		List<String> command = new ArrayList<>(
				List.of("exec", container, "curl", "-sk", "--max-time", "40", "-D", "-"));
		for (String header : headers) {
			command.add("-H");
			command.add(header);
		}
		paths.forEach((path) -> command.add("https://127.0.0.1" + path));
		return Proc.docker(Duration.ofMinutes(1), command.toArray(String[]::new)).out();
	}

	/**
	 * On Swarm a node is whichever of the two EDGE_ADDRS it was given, named by its place
	 * in the list, with the other as its peer; an address list without its own is
	 * refused.
	 */
	@Test
	void onSwarmANodeIsNamedByTheEdgeAddressItGot() {
		String own = "$(ip -4 -o addr show eth0 | awk '{ split($4, p, \"/\"); print p[1] }')";
		Proc.Result result = Proc.docker(Duration.ofMinutes(1), "run", "--rm", "-e", "VIP=10.99.0.10", "--entrypoint",
				"bash", IMAGE, "-c", "EDGE_ADDRS=\"10.99.0.11 " + own + "\" lb-entrypoint render");
		assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
		assertThat(result.out()).contains("router_id lb2")
			.containsPattern("unicast_src_ip 172\\.")
			.containsPattern("unicast_peer \\{\\s+10\\.99\\.0\\.11\\s+\\}");
		Proc.Result stranger = Proc.docker(Duration.ofMinutes(1), "run", "--rm", "-e", "VIP=10.99.0.10", "-e",
				"EDGE_ADDRS=10.99.0.11 10.99.0.12", IMAGE, "render");
		assertThat(stranger.exitCode()).isNotZero();
		assertThat(stranger.out() + stranger.err()).contains("none of EDGE_ADDRS");
	}

}
