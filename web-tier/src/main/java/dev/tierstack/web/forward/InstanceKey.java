package dev.tierstack.web.forward;

import org.springframework.cloud.client.ServiceInstance;

/**
 * What identifies an app instance to the parts that keep state per instance (requests in
 * flight, recent failures, slow start): its address and port, whichever supplier (DNS,
 * fixed URLs, health checks) handed it over.
 */
final class InstanceKey {

	private InstanceKey() {
	}

	static String of(ServiceInstance instance) {
		return instance.getHost() + ":" + instance.getPort();
	}

}
