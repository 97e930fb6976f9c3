package dev.tierstack.web.system;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * On shutdown, keeps serving for a while after readiness has gone DOWN (Spring Boot
 * reports REFUSING_TRAFFIC as soon as the context starts closing), so that both load
 * balancers' health checks (every second) see it and stop sending requests before the
 * server stops accepting them; only then does the graceful shutdown of the web server
 * begin. Without the pause, the requests sent in between are refused.
 *
 * <p>
 * {@code SHUTDOWN_DRAIN}: 0 by default (a laptop, a test); the image sets it.
 */
@Component
class ShutdownDrain implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);

	private final Duration drain;

	private volatile boolean running;

	ShutdownDrain(@Value("${SHUTDOWN_DRAIN:0s}") Duration drain) {
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
