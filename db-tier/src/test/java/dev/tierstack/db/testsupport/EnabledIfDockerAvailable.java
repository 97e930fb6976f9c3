package dev.tierstack.db.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a test class only where a Docker engine answers. Under {@code CI=true} the test
 * always runs, so that a CI machine without Docker fails loudly instead of skipping.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(EnabledIfDockerAvailable.Condition.class)
public @interface EnabledIfDockerAvailable {

	class Condition implements ExecutionCondition {

		@Override
		public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
			if ("true".equalsIgnoreCase(System.getenv("CI"))) {
				return ConditionEvaluationResult.enabled("CI=true: Docker tests always run");
			}
			if (DockerClientFactory.instance().isDockerAvailable()) {
				return ConditionEvaluationResult.enabled("Docker engine available");
			}
			return ConditionEvaluationResult.disabled("no Docker engine on this machine");
		}

	}

}
