package dev.tierstack.app.system;

import dev.tierstack.support.ServerTimingFilter;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import net.ttddyy.observation.tracing.QueryContext;

import org.springframework.stereotype.Component;

/**
 * A request's time in SQL statements, for its {@code Server-Timing} header
 * ({@code db;dur=}): the sum of the statements that datasource-micrometer observes for it
 * (the same observations as its SQL spans), from execution to the statement's answer.
 */
@Component
class DatabaseTiming implements ObservationHandler<QueryContext> {

	private static final String START = DatabaseTiming.class.getName() + ".start";

	@Override
	public void onStart(QueryContext context) {
		context.put(START, System.nanoTime());
	}

	@Override
	public void onStop(QueryContext context) {
		Long start = context.get(START);
		if (start != null) {
			ServerTimingFilter.add("db", System.nanoTime() - start);
		}
	}

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof QueryContext;
	}

}
