package dev.tierstack.support;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;

/**
 * Which node of its tier this process is, as named in its node header
 * ({@code X-Web-Node}, {@code X-App-Node}) and in the page footer.
 *
 * @param name the node name ({@code NODE_NAME}); the host name when blank, which under
 * Docker is the container id and so tells replicas apart
 */
@ConfigurationProperties("tierstack.node")
public record NodeProperties(String name) {

	public NodeProperties {
		if (!StringUtils.hasText(name)) {
			name = hostName();
		}
	}

	private static String hostName() {
		String fromEnvironment = System.getenv("HOSTNAME");
		if (StringUtils.hasText(fromEnvironment)) {
			return fromEnvironment;
		}
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "unknown";
		}
	}

}
