package dev.tierstack.web.apptier;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request's time for its attempts: at most an attempt's time while a retry could
 * follow, the rest of the time for its last chance, nothing after the deadline.
 */
class AttemptBudgetTests {

	private final AtomicLong now = new AtomicLong(1_000_000_000L);

	private final AttemptBudget budget = new AttemptBudget(Duration.ofMillis(1800), Duration.ofMillis(800),
			this.now::get);

	@Test
	void anAttemptThatARetryCouldFollowWaitsAtMostAnAttemptsTime() {
		assertThat(this.budget.attemptMillis()).isEqualTo(800);
		elapse(1200);
		assertThat(this.budget.attemptMillis()).as("less is left").isEqualTo(600);
	}

	@Test
	void theLastChanceWaitsForTheRestOfTheTime() {
		this.budget.lastChance();
		assertThat(this.budget.attemptMillis()).isEqualTo(1800);
		elapse(800);
		assertThat(this.budget.attemptMillis()).isEqualTo(1000);
	}

	@Test
	void noTimeIsLeftOnceTheDeadlineHasCome() {
		this.budget.lastChance();
		elapse(1800);
		assertThat(this.budget.attemptMillis()).isZero();
		elapse(1);
		assertThat(this.budget.attemptMillis()).isNegative();
	}

	private void elapse(long millis) {
		this.now.addAndGet(Duration.ofMillis(millis).toNanos());
	}

}
