package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The figures of one scenario: printed, written to {@code target/results/<name>.json} and
 * appended to {@code target/results/summary.md}.
 */
final class Results {

	private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

	private final String scenario;

	private final Map<String, Object> figures = new LinkedHashMap<>();

	private Results(String scenario) {
		this.scenario = scenario;
	}

	static Results of(String scenario) {
		return new Results(scenario);
	}

	/** Totals, failures by kind, latency percentiles and the nodes that answered. */
	static Results of(String scenario, SteadyLoad.Run run, int ratePerSecond) {
		Results results = new Results(scenario);
		Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
		run.outcomes()
			.forEach((outcome) -> latency.recordValue(Math.min(latency.getHighestTrackableValue(),
					Math.max(0, TimeUnit.NANOSECONDS.toMicros(outcome.latencyNanos())))));
		results.put("requests", run.outcomes().size());
		results.put("failed", run.failures().size());
		results.put("failedOfTotal", run.failures().size() + "/" + run.outcomes().size());
		results.put("rateTargetPerSecond", ratePerSecond);
		results.put("requestsDue", run.due());
		results.put("requestsSent", run.sent());
		results.put("requestsDroppedClientBehind", run.dropped());
		results.put("durationMs", TimeUnit.NANOSECONDS.toMillis(run.endNanos() - run.startNanos()));
		results.put("latencyP50Ms", millis(latency.getValueAtPercentile(50)));
		results.put("latencyP90Ms", millis(latency.getValueAtPercentile(90)));
		results.put("latencyP99Ms", millis(latency.getValueAtPercentile(99)));
		results.put("latencyP999Ms", millis(latency.getValueAtPercentile(99.9)));
		results.put("latencyMaxMs", millis(latency.getMaxValue()));
		// Requests the client sent a second time after its attempt failed or timed out.
		results.put("clientRetries", run.outcomes().stream().filter(SteadyLoad.Outcome::retried).count());
		results.put("failuresByKind",
				run.failures()
					.stream()
					.collect(Collectors.groupingBy((o) -> (o.error() != null) ? o.error() : "HTTP " + o.status(),
							TreeMap::new, Collectors.counting())));
		// The first failures one by one: what was asked, when, and what the client saw.
		results.put("firstFailures",
				run.failures()
					.stream()
					.sorted(Comparator.comparingLong(SteadyLoad.Outcome::sentNanos))
					.limit(20)
					.map((o) -> new Failure(TimeUnit.NANOSECONDS.toMillis(o.sentNanos() - run.startNanos()),
							TimeUnit.NANOSECONDS.toMillis(o.latencyNanos()), o.target(),
							(o.error() != null) ? o.error() + ": " + o.detail() : "HTTP " + o.status(), o.webNode()))
					.toList());
		results.put("longestSilenceMs", run.longestSilenceMillis());
		// When the failures were sent: second of the stream -> how many.
		results.put("failedBySentSecond", bySentSecond(run, run.failures().stream()));
		// Answers that took over a second, by the second they were sent in: where a
		// queue built up.
		results.put("slowOver1sBySentSecond", bySentSecond(run,
				run.outcomes().stream().filter((o) -> o.latencyNanos() > TimeUnit.SECONDS.toNanos(1))));
		results.put("webNodes", count(run, SteadyLoad.Outcome::webNode));
		results.put("appNodes", count(run, SteadyLoad.Outcome::appNode));
		results.put("lbNodes", count(run, SteadyLoad.Outcome::lbNode));
		results.put("webVersions", count(run, SteadyLoad.Outcome::webVersion));
		return results;
	}

	/** Second of the stream in which each outcome was sent -> how many. */
	private static Map<Long, Long> bySentSecond(SteadyLoad.Run run, Stream<SteadyLoad.Outcome> outcomes) {
		return outcomes
			.collect(Collectors.groupingBy((o) -> TimeUnit.NANOSECONDS.toSeconds(o.sentNanos() - run.startNanos()),
					TreeMap::new, Collectors.counting()));
	}

	/** One failed request, as the results list it. */
	record Failure(long sentAtMs, long latencyMs, String request, String outcome, String webNode) {
	}

	private static Map<String, Long> count(SteadyLoad.Run run, Function<SteadyLoad.Outcome, String> header) {
		return run.outcomes()
			.stream()
			.filter((o) -> header.apply(o) != null)
			.collect(Collectors.groupingBy(header, TreeMap::new, Collectors.counting()));
	}

	private static double millis(long micros) {
		return Math.round(micros / 100.0) / 10.0;
	}

	/** Where the figures (and files such as screenshots) of a run go; made if missing. */
	static Path directory() throws IOException {
		return Files.createDirectories(Path.of(System.getProperty("tierstack.results", "target/results")));
	}

	Results put(String name, Object value) {
		this.figures.put(name, value);
		return this;
	}

	Object get(String name) {
		return this.figures.get(name);
	}

	Map<String, Object> figures() {
		return this.figures;
	}

	/**
	 * Prints and writes the figures; call before asserting, so a failing run still
	 * reports.
	 */
	Results write() {
		String json = JSON.writeValueAsString(this.figures);
		ComposeStack.log(this.scenario + ": "
				+ JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this.figures));
		try {
			Path dir = directory();
			Files.writeString(dir.resolve(this.scenario + ".json"), json + "\n");
			StringBuilder markdown = new StringBuilder(
					"\n## " + this.scenario + "\n\n| figure | value |\n| --- | --- |\n");
			this.figures.forEach(
					(name, value) -> markdown.append("| ").append(name).append(" | ").append(value).append(" |\n"));
			Files.writeString(dir.resolve("summary.md"), markdown, StandardOpenOption.CREATE,
					StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return this;
	}

}
