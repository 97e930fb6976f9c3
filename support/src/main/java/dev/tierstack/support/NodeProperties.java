package dev.tierstack.support;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;

/**
 * Which node of its tier this process is, as named in its node header
 * ({@code X-Web-Node}, {@code X-App-Node}) and in the page footer, and which version of
 * the tier it runs ({@code X-Web-Version}, {@code X-App-Version}).
 *
 * @param name the node name ({@code NODE_NAME}); the host name when blank, which under
 * Docker is the container id and so tells replicas apart
 * @param version the version of the tier ({@code TIERSTACK_NODE_VERSION}, which the image
 * sets from its build argument {@code VERSION}); {@code dev} when blank
 */
@ConfigurationProperties("tierstack.node")
public record NodeProperties(String name, String version) {

	public NodeProperties {
		if (!StringUtils.hasText(name)) {
			name = hostName();
		}
		if (!StringUtils.hasText(version)) {
			version = "dev";
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
