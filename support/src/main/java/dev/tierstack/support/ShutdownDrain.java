package dev.tierstack.support;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, keeps serving for a while after readiness has gone DOWN (Spring Boot
 * reports REFUSING_TRAFFIC as soon as the context starts closing), so that the health
 * checks of the load balancer in front of the node (HAProxy for the web tier, the web
 * tier for the app tier) see it and stop sending requests before the server stops
 * accepting them; only then does the graceful shutdown of the web server begin. Without
 * the pause, the requests sent in between are refused.
 *
 * <p>
 * {@code SHUTDOWN_DRAIN}: 0 by default (a laptop, a test); the images set it.
 */
class ShutdownDrain implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);

	private final Duration drain;

	private volatile boolean running;

	ShutdownDrain(Duration drain) {
		this.drain = drain;
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (this.drain.isPositive()) {
			log.info("Readiness is DOWN; serving {} ms more before the server stops accepting requests",
					this.drain.toMillis());
			try {
				Thread.sleep(this.drain);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/**
	 * Stopped first: before the web server's graceful shutdown (a lower phase).
	 */
	@Override
	public int getPhase() {
		return SmartLifecycle.DEFAULT_PHASE;
	}

}
