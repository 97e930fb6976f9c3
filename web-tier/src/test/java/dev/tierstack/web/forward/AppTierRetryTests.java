package dev.tierstack.web.forward;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.tierstack.web.apptier.AppTierProperties;
import dev.tierstack.web.apptier.AttemptBudget;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.mock.http.client.MockClientHttpRequest;
import org.springframework.mock.http.client.MockClientHttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The time budget the retry policy binds around a request's attempts, as the client sees
 * it for each attempt (10 s for the request, 1 s for an attempt).
 */
class AppTierRetryTests {

	private final AppTierProperties properties = new AppTierProperties(List.of(), null, 0, null, false, null, null,
			Duration.ofSeconds(10), Duration.ofSeconds(1), 0, null, null, null);

	private final ClientHttpResponse answer = new MockClientHttpResponse(new byte[0], HttpStatus.OK);

	@Test
	void theRetryOfARequestThatMayBeRepeatedWaitsForTheRestOfItsTime() throws Exception {
		List<Long> waits = new ArrayList<>();
		ClientHttpResponse response = AppTierRetry.interceptor(this.properties)
			.intercept(new MockClientHttpRequest(HttpMethod.GET, "/api/books"), new byte[0], (request, body) -> {
				waits.add(AttemptBudget.CURRENT.get().attemptMillis());
				if (waits.size() == 1) {
					throw new SocketTimeoutException("Read timed out");
				}
				return this.answer;
			});
		assertThat(response).isSameAs(this.answer);
		assertThat(waits).hasSize(2);
		assertThat(waits.get(0)).as("another instance could take a retry").isEqualTo(1000);
		assertThat(waits.get(1)).as("whatever the balancer found: none comes after it").isGreaterThan(9000);
	}

	@Test
	void aRequestThatMayNotBeRepeatedHasNoBudget() throws Exception {
		List<Boolean> bound = new ArrayList<>();
		AppTierRetry.interceptor(this.properties)
			.intercept(new MockClientHttpRequest(HttpMethod.POST, "/api/orders"), new byte[0], (request, body) -> {
				bound.add(AttemptBudget.CURRENT.isBound());
				return this.answer;
			});
		assertThat(bound).as("the read timeout applies").containsExactly(false);
	}

}
