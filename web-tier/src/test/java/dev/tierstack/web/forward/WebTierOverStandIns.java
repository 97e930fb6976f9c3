package dev.tierstack.web.forward;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.micrometer.tracing.test.autoconfigure.AutoConfigureTracing;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * The whole web tier on a random port, in front of the {@link StandIns} (or of stand-ins
 * whose URLs the test class registers itself). Short timeouts keep the failure tests
 * quick, each far enough from the others that tests tell which applied: 500 ms for an
 * attempt, 1.5 s for a request that may be repeated, 3 s to read; readiness is checked
 * once at start-up (the stand-ins' readiness does not change), so that stopping or
 * hanging a stand-in tests the retry and the balancer, not the health checker. Tracing as
 * in a deployment (Spring Boot's tests leave trace propagation out unless asked), its
 * spans going nowhere: no Zipkin endpoint is set.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@AutoConfigureTracing
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "tierstack.node.name=web-test", "tierstack.app-tier.connect-timeout=1s",
				"tierstack.app-tier.read-timeout=3s", "tierstack.app-tier.request-timeout=1500ms",
				"tierstack.app-tier.attempt-timeout=500ms", "tierstack.app-tier.failed-instance-pause=1s",
				"spring.cloud.loadbalancer.health-check.interval=1h",
				"spring.cloud.loadbalancer.health-check.refetch-instances=false" })
public @interface WebTierOverStandIns {

}
