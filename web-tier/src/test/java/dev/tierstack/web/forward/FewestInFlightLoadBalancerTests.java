package dev.tierstack.web.forward;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The app instance a request goes to: the one with the fewest requests in flight, turns
 * among equals.
 */
class FewestInFlightLoadBalancerTests {

	private final RequestsInFlight inFlight = new RequestsInFlight();

	private final FewestInFlightLoadBalancer balancer = new FewestInFlightLoadBalancer(null, this.inFlight);

	private final ServiceInstance a = instance("10.0.3.2");

	private final ServiceInstance b = instance("10.0.3.3");

	private final ServiceInstance c = instance("10.0.3.4");

	@Test
	void instancesLevelWithEachOtherTakeTurns() {
		List<String> chosen = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			chosen.add(this.balancer.choose(List.of(this.a, this.b, this.c)).getServer().getHost());
		}
		assertThat(chosen).containsExactly("10.0.3.2", "10.0.3.3", "10.0.3.4", "10.0.3.2", "10.0.3.3", "10.0.3.4");
	}

	@Test
	void aSlowInstanceGetsNoNewRequestUntilItCatchesUp() {
		this.inFlight.started(this.a);
		this.inFlight.started(this.a);
		this.inFlight.started(this.b);
		for (int i = 0; i < 4; i++) {
			assertThat(this.balancer.choose(List.of(this.a, this.b, this.c)).getServer()).isEqualTo(this.c);
		}
		this.inFlight.started(this.c);
		this.inFlight.started(this.c);
		assertThat(this.balancer.choose(List.of(this.a, this.b, this.c)).getServer()).isEqualTo(this.b);
		this.inFlight.finished(this.a);
		this.inFlight.finished(this.a);
		assertThat(this.balancer.choose(List.of(this.a, this.b, this.c)).getServer()).isEqualTo(this.a);
	}

	@Test
	void noInstanceNoChoice() {
		Response<ServiceInstance> response = this.balancer.choose(List.of());
		assertThat(response.hasServer()).isFalse();
	}

	@Test
	void countsGoBackToZeroAndNeverCountAnUnknownInstance() {
		this.inFlight.started(this.a);
		this.inFlight.finished(this.a);
		this.inFlight.finished(this.b);
		assertThat(this.inFlight.count(this.a)).isZero();
		assertThat(this.inFlight.count(this.b)).isZero();
	}

	private static ServiceInstance instance(String host) {
		return new DefaultServiceInstance(host + ":8081", AppTierProperties.SERVICE_ID, host, 8081, false);
	}

}
