package dev.tierstack.web.apptier;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.tierstack.web.forward.StandInAppTier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClientsProperties;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.support.GenericApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * App instances from fixed URLs, and the readiness checks that keep the list of those
 * ready, against stand-ins: a round every second (unless a test says otherwise), and 600
 * ms to a probe.
 */
class AppTierInstancesTests {

	private static final Duration PROBE_TIMEOUT = Duration.ofMillis(600);

	private static final Duration INTERVAL = Duration.ofSeconds(1);

	private final List<StandInAppTier> nodes = new ArrayList<>();

	private final GenericApplicationContext context = new GenericApplicationContext();

	private @Nullable ServiceInstanceListSupplier readyInstances;

	@AfterEach
	void stop() throws Exception {
		if (this.readyInstances instanceof DisposableBean checks) {
			checks.destroy();
		}
		this.context.close();
		this.nodes.forEach(StandInAppTier::stop);
	}

	@Test
	void fixedUrlsBecomeOneInstanceEachWithTheSchemesDefaultPort() {
		AppTierProperties properties = new AppTierProperties(
				List.of(URI.create("http://app1:8081"), URI.create("http://app2"), URI.create("https://app3")), null,
				8081, null, false, null, null, null, null, 0, null, null, null);
		assertThat(AppTierInstances.fixed(properties))
			.extracting(ServiceInstance::getHost, ServiceInstance::getPort, ServiceInstance::isSecure)
			.containsExactly(tuple("app1", 8081, false), tuple("app2", 80, false), tuple("app3", 443, true));
	}

	@Test
	void aRoundOfChecksTakesAsLongAsItsSlowestProbeNotAsLongAsAllOfThem() throws Exception {
		StandInAppTier ready = node("ready");
		for (int i = 0; i < 4; i++) {
			node("hung-" + i).hang();
		}
		long started = System.nanoTime();
		List<ServiceInstance> first = readyInstances().get().blockFirst(Duration.ofSeconds(10));
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertThat(first).extracting(ServiceInstance::getUri).containsExactly(URI.create(ready.baseUrl()));
		assertThat(elapsed).as("four hung instances probed at once (one after another: 2.4 s)")
			.isLessThan(PROBE_TIMEOUT.plusSeconds(1));
	}

	@Test
	void anInstanceThatHangsLeavesTheReadyListWithinAnIntervalAndAProbe() throws Exception {
		node("ready");
		StandInAppTier hanging = node("hanging");
		ServiceInstanceListSupplier readyInstances = readyInstances();
		await().atMost(Duration.ofSeconds(10)).until(() -> size(readyInstances) == 2);
		hanging.hang();
		long started = System.nanoTime();
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> size(readyInstances) == 1);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertThat(elapsed).as("an interval and a probe (1.6 s), and slack")
			.isLessThan(INTERVAL.plus(PROBE_TIMEOUT).plusSeconds(1));
	}

	@Test
	void anInstanceTheSourceAddsIsProbedAtOnceNotAtTheNextRound() throws Exception {
		StandInAppTier first = node("first");
		List<ServiceInstance> listed = new CopyOnWriteArrayList<>(List.of(instance(first)));
		ServiceInstanceListSupplier readyInstances = readyInstances(listed, Duration.ofMinutes(1),
				Duration.ofMillis(200));
		await().atMost(Duration.ofSeconds(10)).until(() -> size(readyInstances) == 1);
		StandInAppTier added = node("added");
		long started = System.nanoTime();
		listed.add(instance(added));
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> size(readyInstances) == 2);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertThat(elapsed).as("a refresh (200 ms) and a probe, not the next round (a minute)")
			.isLessThan(Duration.ofSeconds(2));
	}

	@Test
	void aRoundLongerThanTheRefreshIntervalStillPublishesItsResult() throws Exception {
		StandInAppTier ready = node("ready");
		StandInAppTier hung = node("hung");
		hung.hang();
		ServiceInstanceListSupplier readyInstances = readyInstances(
				new CopyOnWriteArrayList<>(List.of(instance(ready), instance(hung))), INTERVAL, Duration.ofMillis(200));
		List<ServiceInstance> first = readyInstances.get().blockFirst(Duration.ofSeconds(10));
		assertThat(first).as("the unchanged list asked for every 200 ms does not restart the 600 ms round")
			.extracting(ServiceInstance::getUri)
			.containsExactly(URI.create(ready.baseUrl()));
	}

	@Test
	void aCheckerStartedAgainProbesTheUnchangedListAgain() throws Exception {
		StandInAppTier ready = node("ready");
		StandInAppTier hanging = node("hanging");
		ServiceInstanceListSupplier readyInstances = readyInstances(
				new CopyOnWriteArrayList<>(List.of(instance(ready), instance(hanging))), INTERVAL,
				Duration.ofMillis(200));
		await().atMost(Duration.ofSeconds(10)).until(() -> size(readyInstances) == 2);
		((DisposableBean) readyInstances).destroy();
		hanging.hang();
		((InitializingBean) readyInstances).afterPropertiesSet();
		await("the new subscription gets the unchanged list, and its rounds leave the hung instance out")
			.atMost(Duration.ofSeconds(10))
			.until(() -> size(readyInstances) == 1);
	}

	private static ServiceInstance instance(StandInAppTier node) {
		return AppTierInstances.fixed(properties(List.of(URI.create(node.baseUrl())), Duration.ZERO))[0];
	}

	private StandInAppTier node(String name) {
		StandInAppTier node = StandInAppTier.start(name);
		this.nodes.add(node);
		return node;
	}

	// The supplier as the load balancer's child context builds and starts it.
	private ServiceInstanceListSupplier readyInstances() throws Exception {
		AppTierProperties properties = properties(
				this.nodes.stream().map((node) -> URI.create(node.baseUrl())).toList(), Duration.ofSeconds(1));
		return start(new AppTierInstances().readyInstances(context(INTERVAL), properties));
	}

	// The same over a list of instances the test changes, asked for again every refresh.
	private ServiceInstanceListSupplier readyInstances(List<ServiceInstance> listed, Duration interval,
			Duration refresh) throws Exception {
		ServiceInstanceListSupplier source = new ServiceInstanceListSupplier() {

			@Override
			public String getServiceId() {
				return AppTierProperties.SERVICE_ID;
			}

			@Override
			public Flux<List<ServiceInstance>> get() {
				return Flux.defer(() -> Flux.just(List.copyOf(listed)));
			}

		};
		return start(AppTierInstances.ready(source, context(interval), properties(List.of(), refresh)));
	}

	private GenericApplicationContext context(Duration interval) {
		LoadBalancerClientsProperties loadBalancer = new LoadBalancerClientsProperties();
		loadBalancer.getHealthCheck().setInterval(interval);
		loadBalancer.getHealthCheck().setPath(Map.of("default", "/readyz"));
		loadBalancer.getHealthCheck().setUpdateResultsList(false);
		loadBalancer.getHealthCheck().setRefetchInstances(false);
		this.context.registerBean(LoadBalancerClientFactory.class, () -> new LoadBalancerClientFactory(loadBalancer));
		this.context.refresh();
		return this.context;
	}

	private static AppTierProperties properties(List<URI> urls, Duration refresh) {
		return new AppTierProperties(urls, null, 0, refresh, true, null, null, PROBE_TIMEOUT, null, 0, null, null,
				null);
	}

	private ServiceInstanceListSupplier start(ServiceInstanceListSupplier readyInstances) throws Exception {
		((InitializingBean) readyInstances).afterPropertiesSet();
		this.readyInstances = readyInstances;
		return readyInstances;
	}

	private static int size(ServiceInstanceListSupplier instances) {
		List<ServiceInstance> list = instances.get().blockFirst(Duration.ofSeconds(5));
		return (list != null) ? list.size() : -1;
	}

}
