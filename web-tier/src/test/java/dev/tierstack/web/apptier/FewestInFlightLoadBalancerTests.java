package dev.tierstack.web.apptier;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.CompletionContext.Status;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.web.client.ResourceAccessException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The choice of app instance for each attempt: fewest requests in flight, turns among
 * equals, never an instance the request already tried, not one that just refused a
 * connection or let an attempt time out; and whether an attempt is its request's last
 * chance.
 */
class FewestInFlightLoadBalancerTests {

	private static final Duration PAUSE = Duration.ofSeconds(5);

	private final ServiceInstance a = instance("10.0.3.2");

	private final ServiceInstance b = instance("10.0.3.3");

	private final ServiceInstance c = instance("10.0.3.4");

	private final List<ServiceInstance> all = List.of(this.a, this.b, this.c);

	private final AtomicLong now = new AtomicLong();

	private final FewestInFlightLoadBalancer balancer = new FewestInFlightLoadBalancer(
			ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID), new SlowStart(Duration.ZERO), PAUSE,
			this.now::get);

	@Test
	void instancesLevelWithEachOtherTakeTurns() {
		List<String> chosen = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			chosen.add(choose(new HashSet<>()).getServer().getHost());
		}
		assertThat(chosen).containsExactly("10.0.3.2", "10.0.3.3", "10.0.3.4", "10.0.3.2", "10.0.3.3", "10.0.3.4");
	}

	@Test
	void aSlowInstanceGetsNoNewRequestUntilItCatchesUp() {
		started(this.a);
		started(this.a);
		started(this.b);
		for (int i = 0; i < 4; i++) {
			assertThat(choose(new HashSet<>()).getServer()).isEqualTo(this.c);
		}
		started(this.c);
		started(this.c);
		assertThat(choose(new HashSet<>()).getServer()).isEqualTo(this.b);
		finished(this.a, null);
		finished(this.a, null);
		assertThat(choose(new HashSet<>()).getServer()).isEqualTo(this.a);
		assertThat(this.balancer.inFlight(this.a)).isZero();
	}

	@Test
	void anAttemptAfterTheFirstGoesToAnInstanceNotYetTried() {
		Set<String> tried = new HashSet<>();
		ServiceInstance first = choose(tried).getServer();
		ServiceInstance second = choose(tried).getServer();
		ServiceInstance third = choose(tried).getServer();
		assertThat(List.of(first, second, third)).containsExactlyInAnyOrderElementsOf(this.all);
		assertThat(choose(tried).hasServer()).as("no instance left to try").isFalse();
	}

	@Test
	void theInstancesTriedAreThoseTheRetryingClientBound() {
		FewestInFlightLoadBalancer overAll = new FewestInFlightLoadBalancer(
				ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID, this.a, this.b, this.c),
				new SlowStart(Duration.ZERO), PAUSE, this.now::get);
		Set<String> tried = new HashSet<>();
		List<ServiceInstance> chosen = ScopedValue.where(FewestInFlightLoadBalancer.TRIED, tried)
			.call(() -> List.of(choose(overAll), choose(overAll), choose(overAll)));
		assertThat(chosen).containsExactlyInAnyOrderElementsOf(this.all);
		assertThat(tried).hasSize(3);
		assertThat(choose(overAll)).as("unbound: a request of its own").isNotNull();
	}

	@Test
	void anAttemptIsTheRequestsLastChanceWhenNoOtherInstanceIsLeftToRetryOn() {
		FewestInFlightLoadBalancer overTwo = new FewestInFlightLoadBalancer(
				ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID, this.a, this.b),
				new SlowStart(Duration.ZERO), PAUSE, this.now::get);
		assertThat(isLastChance(overTwo, 1)).as("the other instance is left").isFalse();
		assertThat(isLastChance(overTwo, 2)).as("both tried").isTrue();
		FewestInFlightLoadBalancer overOne = new FewestInFlightLoadBalancer(
				ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID, this.a), new SlowStart(Duration.ZERO),
				PAUSE, this.now::get);
		assertThat(isLastChance(overOne, 1)).as("no other instance").isTrue();
		overTwo.onStartRequest(new DefaultRequest<>(), new DefaultResponse(this.b));
		overTwo.onComplete(new CompletionContext<>(Status.FAILED, new SocketTimeoutException("Read timed out"),
				new DefaultRequest<>(), new DefaultResponse(this.b)));
		assertThat(isLastChance(overTwo, 1)).as("the other instance paused").isTrue();
		this.now.addAndGet(PAUSE.toNanos() + 1);
		assertThat(isLastChance(overTwo, 1)).as("its pause is over").isFalse();
	}

	@Test
	void anInstanceThatRefusedAConnectionIsLeftOutForItsPauseUnlessAllDid() {
		started(this.a);
		finished(this.a, new ConnectException("refused"));
		started(this.b);
		finished(this.b, new IOException("reset"));
		for (int i = 0; i < 4; i++) {
			assertThat(choose(new HashSet<>()).getServer()).isNotEqualTo(this.a);
		}
		started(this.b);
		finished(this.b, new ConnectException("refused"));
		started(this.c);
		finished(this.c, new ConnectException("refused"));
		assertThat(choose(new HashSet<>()).hasServer()).as("all refused: try them all").isTrue();
		this.now.addAndGet(PAUSE.toNanos() + 1);
		started(this.b);
		finished(this.b, new ConnectException("refused"));
		assertThat(choose(new HashSet<>()).getServer()).as("a's and c's pauses are over").isNotEqualTo(this.b);
	}

	@Test
	void anInstanceWhoseAttemptTimedOutIsLeftOutForItsPause() {
		started(this.a);
		finished(this.a,
				new ResourceAccessException("I/O error on GET request", new SocketTimeoutException("Read timed out")));
		started(this.b);
		finished(this.b, new SocketTimeoutException("Read timed out"));
		started(this.c);
		finished(this.c, new ConnectionRequestTimeoutException("no pooled connection in time"));
		for (int i = 0; i < 4; i++) {
			assertThat(choose(new HashSet<>()).getServer()).as("as the gateway and the pages' client report it")
				.isEqualTo(this.c);
		}
		this.now.addAndGet(PAUSE.toNanos() + 1);
		assertThat(List.of(choose(new HashSet<>()).getServer(), choose(new HashSet<>()).getServer(),
				choose(new HashSet<>()).getServer()))
			.containsExactlyInAnyOrderElementsOf(this.all);
	}

	@Test
	void aRetryIsNeverHeldBackBySlowStart() {
		FewestInFlightLoadBalancer eased = new FewestInFlightLoadBalancer(
				ServiceInstanceListSuppliers.from(AppTierProperties.SERVICE_ID),
				new SlowStart(Duration.ofMinutes(1), this.now::get, () -> 0.99), PAUSE, this.now::get);
		eased.choose(List.of(this.a), new HashSet<>());
		for (int i = 0; i < 10; i++) {
			assertThat(eased.choose(List.of(this.a, this.b), new HashSet<>()).getServer()).isEqualTo(this.a);
		}
		Set<String> tried = new HashSet<>(Set.of(FewestInFlightLoadBalancer.key(this.a)));
		assertThat(eased.choose(List.of(this.a, this.b), tried).getServer()).isEqualTo(this.b);
	}

	@Test
	void itsViewOfTheInstancesIsAGaugeEach() {
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		this.balancer.bindTo(registry);
		choose(new HashSet<>());
		assertThat(ready(registry)).containsExactly(1.0, 1.0, 1.0);
		started(this.a);
		finished(this.a, new ConnectException("refused"));
		this.balancer.choose(List.of(this.a, this.b), new HashSet<>());
		assertThat(ready(registry)).as("a paused, c no longer listed").containsExactly(0.0, 1.0, 0.0);
		this.now.addAndGet(PAUSE.toNanos() + 1);
		assertThat(ready(registry)).as("a's pause is over").containsExactly(1.0, 1.0, 0.0);
	}

	private List<Double> ready(SimpleMeterRegistry registry) {
		return this.all.stream()
			.map((instance) -> registry.get("tierstack.app.instance.ready")
				.tag("app", instance.getHost() + ":8081")
				.gauge()
				.value())
			.toList();
	}

	@Test
	void noInstanceNoChoice() {
		assertThat(this.balancer.choose(List.of(), new HashSet<>()).hasServer()).isFalse();
	}

	// Whether the last of the attempts chosen for one request is its last chance: it may
	// then wait for all the request's time (10 s), not an attempt's (1 s).
	private boolean isLastChance(FewestInFlightLoadBalancer balancer, int attempts) {
		AttemptBudget budget = new AttemptBudget(Duration.ofSeconds(10), Duration.ofSeconds(1), this.now::get);
		ScopedValue.where(FewestInFlightLoadBalancer.TRIED, new HashSet<>())
			.where(AttemptBudget.CURRENT, budget)
			.run(() -> {
				for (int i = 0; i < attempts; i++) {
					assertThat(choose(balancer)).isNotNull();
				}
			});
		return budget.attemptMillis() == 10_000;
	}

	private static ServiceInstance choose(FewestInFlightLoadBalancer balancer) {
		return balancer.choose(new DefaultRequest<>()).block().getServer();
	}

	private Response<ServiceInstance> choose(Set<String> tried) {
		return this.balancer.choose(this.all, tried);
	}

	private void started(ServiceInstance instance) {
		this.balancer.onStartRequest(new DefaultRequest<>(), new DefaultResponse(instance));
	}

	private void finished(ServiceInstance instance, Throwable failure) {
		this.balancer.onComplete((failure != null)
				? new CompletionContext<>(Status.FAILED, failure, new DefaultRequest<>(), new DefaultResponse(instance))
				: new CompletionContext<>(Status.SUCCESS, new DefaultRequest<>(), new DefaultResponse(instance)));
	}

	private static ServiceInstance instance(String host) {
		return new DefaultServiceInstance(host + ":8081", AppTierProperties.SERVICE_ID, host, 8081, false);
	}

}
