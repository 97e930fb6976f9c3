package dev.tierstack.systemtest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Tasks run at once, each on a virtual thread of its own. */
final class Concurrently {

	private Concurrently() {
	}

	/**
	 * Runs the tasks at once and waits for all of them.
	 * @param tasks the tasks by name
	 * @return their results by name, in the tasks' order
	 */
	static <T> Map<String, T> run(Map<String, Callable<T>> tasks) {
		Map<String, T> results = new LinkedHashMap<>();
		try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
			Map<String, Future<T>> futures = new LinkedHashMap<>();
			tasks.forEach((name, task) -> futures.put(name, executor.submit(task)));
			for (Map.Entry<String, Future<T>> future : futures.entrySet()) {
				results.put(future.getKey(), future.getValue().get());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException(ex.getCause());
		}
		return results;
	}

}
