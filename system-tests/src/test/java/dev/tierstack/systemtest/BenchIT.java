package dev.tierstack.systemtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.tierstack.db.testsupport.EnabledIfDockerAvailable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark in its short mode ({@code scripts/bench.sh --short}): every comparison it
 * makes runs and yields a figure, and every answer it measured was a success. The figures
 * are recorded, never judged here: seconds of load on a shared 2-core machine say that
 * the benchmark works, not how fast the stack is.
 */
@EnabledIfDockerAvailable
class BenchIT {

	@Test
	void everyComparisonRunsAndEveryAnswerSucceeds() throws Exception {
		ComposeStack.buildImages();
		Path root = ComposeStack.repositoryRoot();
		Path out = root.resolve("system-tests/target/bench-short");
		Proc.Result bench = Proc.run(Duration.ofMinutes(15), root, Map.of("BENCH_OUT", out.toString()),
				List.of("scripts/bench.sh", "--short"));
		System.out.println(bench.out());
		assertThat(bench.exitCode()).as(bench.err()).isZero();
		String results = Files.readString(out.resolve("results.md"));
		Results.of("bench-short").put("results", results.lines().toList()).write();
		assertThat(results).containsPattern("book page via web tier .*\\| [0-9.]+ req/s")
			.containsPattern("hashed stylesheet .* through the load balancer \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern(
					"from nginx through the same load-balancer configuration \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern("book page through the load balancer \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern("book page from the web node directly \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern("catalog page through the load balancer \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern("ratio: asset, load balancer / nginx behind it \\| [0-9]+\\.[0-9]{2} \\|")
			.containsPattern("ratio: book page, load balancer / direct \\| [0-9]+\\.[0-9]{2} \\|")
			.containsPattern("ratio: catalog page / book page, through the load balancer \\| [0-9]+\\.[0-9]{2} \\|")
			.containsPattern("catalog pages in turn, through the load balancer \\| [0-9. ]+req/s .*non-2xx 0 \\|")
			.containsPattern(
					"ratio: 50 catalog pages in turn / book page, through the load balancer \\| [0-9]+\\.[0-9]{2} \\|")
			.containsPattern("ratio: catalog page / book page, from the web node directly .* \\| [0-9]+\\.[0-9]{2} \\|")
			.containsPattern("book page at half its saturating rate .* p99 [0-9.]+m?s, non-2xx 0 \\|")
			.containsPattern("throughput lost to metrics");
	}

}
