package dev.tierstack.app.order;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of an order request in a canonical form, stored with the idempotency key: a
 * retry with the same key must be the same request, whatever its JSON formatting. Line
 * order is part of the request (it numbers the lines).
 */
final class RequestHash {

	private RequestHash() {
	}

	static String of(OrderRequest request) {
		StringBuilder canonical = new StringBuilder();
		for (OrderRequest.Line line : request.lines()) {
			canonical.append(line.isbn()).append(':').append(line.quantity()).append('\n');
		}
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256")
				.digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java runtime has SHA-256", ex);
		}
	}

}
