import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kills the database leader's container and measures, for each way of finding the leader,
 * how long until a new connection reaches a member that accepts writes: every 100 ms each
 * route opens a new connection and asks pg_is_in_recovery(). Arguments: the leader's
 * container, the app role's password, then name=JDBC-URL pairs.
 */
public class RoutingGap {

	public static void main(String[] args) throws Exception {
		String container = args[0];
		String password = args[1];
		List<String> routes = List.of(args).subList(2, args.length);
		long[] firstWritable = new long[routes.size()];
		AtomicLong killedAt = new AtomicLong();
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		Thread[] threads = new Thread[routes.size()];
		for (int i = 0; i < routes.size(); i++) {
			int route = i;
			String url = routes.get(i).substring(routes.get(i).indexOf('=') + 1);
			threads[i] = Thread.ofPlatform().start(() -> {
				while (System.nanoTime() < deadline && firstWritable[route] == 0) {
					long started = System.nanoTime();
					if (killedAt.get() != 0 && writable(url, password)) {
						firstWritable[route] = System.nanoTime();
					}
					long pause = TimeUnit.MILLISECONDS.toNanos(100) - (System.nanoTime() - started);
					if (pause > 0) {
						sleep(TimeUnit.NANOSECONDS.toMillis(pause));
					}
				}
			});
		}
		sleep(2000);
		killedAt.set(System.nanoTime());
		new ProcessBuilder("docker", "kill", container).inheritIO().start().waitFor();
		for (Thread thread : threads) {
			thread.join();
		}
		for (int i = 0; i < routes.size(); i++) {
			String name = routes.get(i).substring(0, routes.get(i).indexOf('='));
			String gap = (firstWritable[i] == 0) ? "none within 90 s"
					: TimeUnit.NANOSECONDS.toMillis(firstWritable[i] - killedAt.get()) + " ms";
			System.out.println("[routing-gap] " + name + ": kill to first connection that accepts writes: " + gap);
		}
	}

	private static boolean writable(String url, String password) {
		try (Connection connection = DriverManager.getConnection(url, "tierstack_app", password);
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery()")) {
			return rows.next() && !rows.getBoolean(1);
		}
		catch (Exception ex) {
			return false;
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
