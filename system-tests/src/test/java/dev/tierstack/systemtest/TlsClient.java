package dev.tierstack.systemtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OpenSSL's {@code s_client} against the load balancers, trusting the local CA: it offers
 * what the JDK's client refuses to, and says whether a session was resumed.
 */
final class TlsClient {

	private static final Path CA = ComposeStack.repositoryRoot().resolve("secrets/tls/ca.crt");

	private TlsClient() {
	}

	/** A handshake only ({@code -brief}), with {@code options} added. */
	static Proc.Result handshake(String address, String... options) {
		List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", address, "-brief",
				"-verify_return_error", "-CAfile", CA.toString()));
		command.addAll(List.of(options));
		return Proc.run(Duration.ofSeconds(10), ComposeStack.repositoryRoot(), Map.of(), command, "");
	}

	/**
	 * A whole TLS 1.3 request in one connection (a session ticket comes after the
	 * handshake): {@code -sess_out FILE} keeps the session, {@code -sess_in FILE} resumes
	 * it.
	 */
	static Proc.Result request(String address, String... options) {
		List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", address, "-tls1_3",
				"-verify_return_error", "-CAfile", CA.toString(), "-ign_eof"));
		command.addAll(List.of(options));
		return Proc.run(Duration.ofSeconds(10), ComposeStack.repositoryRoot(), Map.of(), command,
				"GET /api/books?size=1 HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n");
	}

	/** Whether the session was new or resumed: "New, TLSv1.3, ..." or "Reused, ...". */
	static String session(Proc.Result result) {
		String reused = line(result, "Reused,");
		return reused.startsWith("Reused,") ? reused : line(result, "New,");
	}

	/** The first line of the output that starts with {@code start}. */
	static String line(Proc.Result result, String start) {
		return (result.out() + "\n" + result.err()).lines()
			.map(String::strip)
			.filter((line) -> line.startsWith(start))
			.findFirst()
			.orElse("(no \"" + start + "\" line)");
	}

}
