package dev.tierstack.support;

/**
 * The header that makes placing an order safe to repeat: the app tier stores the outcome
 * under the key, so a retried request gets the same order instead of a second one.
 */
public final class IdempotencyKey {

	public static final String HEADER = "Idempotency-Key";

	private IdempotencyKey() {
	}

}
