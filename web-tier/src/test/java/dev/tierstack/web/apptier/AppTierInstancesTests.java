package dev.tierstack.web.apptier;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.tierstack.web.forward.StandInAppTier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
 * ready, against stand-ins: a round every second, as web-tier.yaml has it, and 600 ms to
 * a probe.
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
		await().atMost(Duration.ofSeconds(10)).until(() -> readyInstances.get().blockFirst().size() == 2);
		hanging.hang();
		long started = System.nanoTime();
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> readyInstances.get().blockFirst().size() == 1);
		Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
		assertThat(elapsed).as("an interval and a probe (1.6 s), and slack")
			.isLessThan(INTERVAL.plus(PROBE_TIMEOUT).plusSeconds(1));
	}

	private StandInAppTier node(String name) {
		StandInAppTier node = StandInAppTier.start(name);
		this.nodes.add(node);
		return node;
	}

	// The supplier as the load balancer's child context builds and starts it.
	private ServiceInstanceListSupplier readyInstances() throws Exception {
		LoadBalancerClientsProperties loadBalancer = new LoadBalancerClientsProperties();
		loadBalancer.getHealthCheck().setInterval(INTERVAL);
		loadBalancer.getHealthCheck().setPath(Map.of("default", "/readyz"));
		loadBalancer.getHealthCheck().setUpdateResultsList(false);
		this.context.registerBean(LoadBalancerClientFactory.class, () -> new LoadBalancerClientFactory(loadBalancer));
		this.context.refresh();
		AppTierProperties properties = new AppTierProperties(
				this.nodes.stream().map((node) -> URI.create(node.baseUrl())).toList(), null, 0, null, true, null, null,
				PROBE_TIMEOUT, null, 0, null, null, null);
		ServiceInstanceListSupplier readyInstances = new AppTierInstances().readyInstances(this.context, properties);
		((InitializingBean) readyInstances).afterPropertiesSet();
		this.readyInstances = readyInstances;
		return readyInstances;
	}

}
