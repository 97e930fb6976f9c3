package dev.tierstack.systemtest;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * What the stack routes to, as the scenarios ask it: which load balancer holds the VIP,
 * which web nodes each load balancer has UP, whether the web tier sends requests to an
 * app node.
 */
final class Rotation {

	private final ComposeStack stack;

	private final HttpClient http;

	private final String vip;

	private final List<String> isbns;

	Rotation(ComposeStack stack, HttpClient http, List<String> isbns) {
		this.stack = stack;
		this.http = http;
		this.vip = stack.vipUrl();
		this.isbns = isbns;
	}

	/** Which load balancer answers on the VIP (HAProxy answers this path itself). */
	String vipHolder() {
		HttpResponse<String> response = Http.get(this.http, this.vip, "/actuator/vip-holder");
		return response.headers().firstValue("X-LB-Node").orElseThrow();
	}

	/**
	 * Whether the container has the VIP on an interface, seen from the host in its
	 * network namespace (no request through the VIP, no `docker exec`).
	 */
	boolean holdsTheVip(String container) {
		String pid = this.stack.inspect(container, "{{.State.Pid}}");
		return Proc.run(Duration.ofSeconds(10), "nsenter", "-t", pid, "-n", "ip", "-o", "-4", "addr")
			.orThrow()
			.out()
			.contains(" " + this.stack.vip() + "/");
	}

	/** Waits until both load balancers' health checks have every web replica UP. */
	void waitUntilLoadBalancersSeeWebServersUp(int expected) {
		for (String lb : List.of("lb1", "lb2")) {
			await(lb + " sees " + expected + " web servers UP").atMost(Duration.ofSeconds(60))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(250))
				.until(() -> webServersUp(lb) >= expected);
		}
	}

	long webServersUp(String lb) {
		HttpResponse<String> csv = Http.get(this.http, "http://" + this.stack.opsAddress(lb) + ":8404", "/stats;csv");
		return csv.body()
			.lines()
			.map((line) -> line.split(","))
			.filter((f) -> f.length > 17)
			.filter((f) -> f[0].equals("web") && f[1].startsWith("web-") && f[17].startsWith("UP"))
			.count();
	}

	/**
	 * Waits until a request through the VIP is answered by the given app node: the web
	 * tier has found it again (DNS refresh, then its readiness probe).
	 */
	void waitUntilTheWebTierRoutesTo(String appHost) {
		AtomicInteger request = new AtomicInteger();
		await("the web tier routes to " + appHost).atMost(Duration.ofSeconds(60))
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(250))
			.until(() -> Http
				.get(this.http, this.vip, "/api/books/" + this.isbns.get(request.getAndIncrement() % this.isbns.size()))
				.headers()
				.firstValue("X-App-Node"), (node) -> node.filter(appHost::equals).isPresent());
	}

}
