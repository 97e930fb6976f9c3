package dev.tierstack.web.apptier;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;

import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * App instances behind one DNS name with an address record per instance, which is what
 * {@code docker compose up --scale app=N} gives. The name is resolved again when the last
 * answer is older than the refresh interval, so that instances added or removed by
 * scaling are seen within seconds. (The JVM's own DNS cache is shortened in
 * {@code WebTierApplication}.) A lookup that fails keeps the instances the last answer
 * gave, until a lookup answers: Docker's DNS is answered by the engine, which stalls at
 * times, and the health checks, not the DNS, say whether an instance serves. One caller
 * looks the name up at a time, and the others take the last answer meanwhile: a lookup
 * the DNS does not answer takes glibc's two tries, 10 s.
 */
class DnsInstances implements ServiceInstanceListSupplier {

	private static final Log logger = LogFactory.getLog(DnsInstances.class);

	private final String name;

	private final int port;

	private final Duration refresh;

	private final Clock clock;

	private final Resolver resolver;

	private final AtomicBoolean resolving = new AtomicBoolean();

	private volatile List<ServiceInstance> instances = List.of();

	private volatile Instant resolvedAt = Instant.MIN;

	DnsInstances(String name, int port, Duration refresh) {
		this(name, port, refresh, Clock.systemUTC(), InetAddress::getAllByName);
	}

	DnsInstances(String name, int port, Duration refresh, Clock clock, Resolver resolver) {
		this.name = name;
		this.port = port;
		this.refresh = refresh;
		this.clock = clock;
		this.resolver = resolver;
	}

	@Override
	public String getServiceId() {
		return AppTierProperties.SERVICE_ID;
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		return Flux.defer(() -> Flux.just(current()));
	}

	List<ServiceInstance> current() {
		Instant now = this.clock.instant();
		if (now.isBefore(this.resolvedAt.plus(this.refresh)) || !this.resolving.compareAndSet(false, true)) {
			return this.instances;
		}
		try {
			this.resolvedAt = now;
			this.instances = Arrays.stream(this.resolver.resolve(this.name))
				.map(InetAddress::getHostAddress)
				.distinct()
				.sorted(Comparator.naturalOrder())
				.map(this::instance)
				.toList();
		}
		catch (UnknownHostException ex) {
			// Right after start-up the app service may not be registered yet: no
			// instances, and the name is tried again on the next refresh.
			logger.warn("App tier DNS name '" + this.name + "' does not resolve: " + ex.getMessage()
					+ (this.instances.isEmpty() ? ""
							: "; keeping the last answer's " + this.instances.size() + " instances"));
		}
		finally {
			this.resolving.set(false);
		}
		return this.instances;
	}

	private ServiceInstance instance(String address) {
		return new DefaultServiceInstance(address + ":" + this.port, AppTierProperties.SERVICE_ID, address, this.port,
				false);
	}

	/** A name's addresses: {@link InetAddress#getAllByName}, or a stand-in. */
	@FunctionalInterface
	interface Resolver {

		InetAddress[] resolve(String name) throws UnknownHostException;

	}

}
