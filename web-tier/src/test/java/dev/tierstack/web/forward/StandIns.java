package dev.tierstack.web.forward;

import java.util.List;
import java.util.stream.Stream;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Three stand-in app instances shared by every test that runs the web tier against them
 * (one set per JVM, so that those tests share one application context too): {@code a} and
 * {@code b} are ready, {@code c} says it is not and must never get traffic.
 */
public abstract class StandIns {

	protected static final StandInAppTier a = StandInAppTier.start("app-a");

	protected static final StandInAppTier b = StandInAppTier.start("app-b");

	protected static final StandInAppTier c = StandInAppTier.start("app-c");

	static {
		c.ready(false);
	}

	@DynamicPropertySource
	static void appTier(DynamicPropertyRegistry registry) {
		registry.add("tierstack.app-tier.urls",
				() -> String.join(",", Stream.of(a, b, c).map(StandInAppTier::baseUrl).toList()));
	}

	protected static List<StandInAppTier> ready() {
		return List.of(a, b);
	}

	protected static void resetStandIns() {
		Stream.of(a, b, c).forEach(StandInAppTier::reset);
		c.ready(false);
	}

}
