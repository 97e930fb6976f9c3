package dev.tierstack.app.system;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the app tier itself (the database settings are Spring Boot's own).
 *
 * @param nodeName the name sent as {@code X-App-Node}; the host name when blank, which in
 * a container is its id, so that a response shows which replica served it
 * @param maxRequestBody the largest request body accepted; orders are at most 20 lines,
 * so anything near this limit is not a real client
 */
@ConfigurationProperties("app")
public record AppProperties(String nodeName, @DefaultValue("16KB") DataSize maxRequestBody) {

	public AppProperties {
		if (nodeName == null || nodeName.isBlank()) {
			nodeName = hostName();
		}
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "unknown";
		}
	}

}
