package dev.tierstack.support;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.StringUtils;

import static org.assertj.core.api.Assertions.assertThat;

class NodeAutoConfigurationTests {

	// Durations from text, as in an application that SpringApplication runs.
	private final ApplicationContextRunner contexts = new ApplicationContextRunner()
		.withInitializer((context) -> context.getBeanFactory()
			.setConversionService(ApplicationConversionService.getSharedInstance()))
		.withConfiguration(AutoConfigurations.of(NodeAutoConfiguration.class));

	@Test
	void namesTheNodeAsConfigured() {
		this.contexts.withPropertyValues("tierstack.node.name=web-1")
			.run((context) -> assertThat(context.getBean(NodeProperties.class).name()).isEqualTo("web-1"));
	}

	@Test
	void aNodeWithoutANameIsNamedAfterItsHost() throws Exception {
		String env = System.getenv("HOSTNAME");
		String host = StringUtils.hasText(env) ? env : InetAddress.getLocalHost().getHostName();
		this.contexts.withPropertyValues("tierstack.node.name=")
			.run((context) -> assertThat(context.getBean(NodeProperties.class).name()).isEqualTo(host).isNotBlank());
	}

	@Test
	void registersTheShutdownDrain() {
		this.contexts.withPropertyValues("SHUTDOWN_DRAIN=0s")
			.run((context) -> assertThat(context.getBean(ShutdownDrain.class).isRunning()).isTrue());
	}

}
