package dev.tierstack.web.apptier;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.client.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * App instances from fixed URLs.
 */
class AppTierInstancesTests {

	@Test
	void fixedUrlsBecomeOneInstanceEachWithTheSchemesDefaultPort() {
		AppTierProperties properties = new AppTierProperties(
				List.of(URI.create("http://app1:8081"), URI.create("http://app2"), URI.create("https://app3")), null,
				8081, null, false, null, null, null, 0, null, null, null);
		assertThat(AppTierInstances.fixed(properties))
			.extracting(ServiceInstance::getHost, ServiceInstance::getPort, ServiceInstance::isSecure)
			.containsExactly(tuple("app1", 8081, false), tuple("app2", 80, false), tuple("app3", 443, true));
	}

}
