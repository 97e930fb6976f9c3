package dev.tierstack.web.system;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;

/**
 * Which web node this is, as shown in the {@code X-Web-Node} header and the page footer.
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
		String fromEnv = System.getenv("HOSTNAME");
		if (StringUtils.hasText(fromEnv)) {
			return fromEnv;
		}
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "web";
		}
	}

}
