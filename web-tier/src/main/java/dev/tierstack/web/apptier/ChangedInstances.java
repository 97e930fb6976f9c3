package dev.tierstack.web.apptier;

import java.time.Duration;
import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;

/**
 * The instances of a source, asked for again every {@code refresh} and handed on only
 * when they differ from the last list handed on to the same subscriber: the source of
 * Spring Cloud's health checker, which starts a new round of probes on every list it gets
 * and drops the round under way. Asked every second, as a new instance should be met
 * within about one, the same list would otherwise end every round that a slow probe (up
 * to {@code interval}) keeps open for longer, and no round would publish its result; now
 * an unchanged list leaves the rounds to their own interval, and a change starts one at
 * once. The checker subscribes once (its own refetching is off); a subscriber that comes
 * again gets the current list first. A failed lookup changes nothing and is tried again
 * at the next refresh. Only for the checker: a balancer without health checks takes one
 * list per request from its source.
 */
class ChangedInstances implements ServiceInstanceListSupplier {

	private static final Log logger = LogFactory.getLog(ChangedInstances.class);

	private final ServiceInstanceListSupplier source;

	private final Duration refresh;

	ChangedInstances(ServiceInstanceListSupplier source, Duration refresh) {
		this.source = source;
		this.refresh = refresh;
	}

	@Override
	public String getServiceId() {
		return this.source.getServiceId();
	}

	@Override
	public Flux<List<ServiceInstance>> get() {
		// A lookup blocks (a DNS that does not answer: 10 s): not on a parallel thread.
		return Flux.defer(this.source::get).subscribeOn(Schedulers.boundedElastic()).onErrorResume((ex) -> {
			logger.warn("App instances could not be listed: " + ex.getMessage());
			return Flux.empty();
		}).repeatWhen((lookups) -> lookups.delayElements(this.refresh)).distinctUntilChanged(ChangedInstances::keys);
	}

	private static List<String> keys(List<ServiceInstance> instances) {
		return instances.stream().map(FewestInFlightLoadBalancer::key).toList();
	}

}
