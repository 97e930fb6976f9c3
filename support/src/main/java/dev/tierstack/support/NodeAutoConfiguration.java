package dev.tierstack.support;

import java.time.Duration;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * What every node of a Java tier has: its name ({@link NodeProperties}) and the drain on
 * shutdown ({@link ShutdownDrain}). The {@link TierHeadersFilter} is declared by each
 * tier, which knows which tier it is.
 */
@AutoConfiguration
@EnableConfigurationProperties(NodeProperties.class)
class NodeAutoConfiguration {

	@Bean
	ShutdownDrain shutdownDrain(@Value("${SHUTDOWN_DRAIN:0s}") Duration drain) {
		return new ShutdownDrain(drain);
	}

}
