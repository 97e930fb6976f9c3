package dev.tierstack.app.system;

import dev.tierstack.support.NodeProperties;
import dev.tierstack.support.ProblemErrorReportValve;
import dev.tierstack.support.ServerTimingFilter;
import dev.tierstack.support.Tier;
import dev.tierstack.support.TierHeadersFilter;
import jakarta.servlet.DispatcherType;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The servlet filters every request passes, in a fixed order: headers first (the node's,
 * the request id, the time taken), so that even a rejected body gets them; the error
 * report for what never reaches a controller; and how strictly request bodies are read.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ AppProperties.class, NodeProperties.class })
class WebConfiguration {

	@Bean
	FilterRegistrationBean<TierHeadersFilter> tierHeadersFilter(NodeProperties node) {
		return TierHeadersFilter.registration(Tier.APP, node);
	}

	/** {@code Server-Timing: app;dur=..., db;dur=...} on every response. */
	@Bean
	FilterRegistrationBean<ServerTimingFilter> serverTimingFilter() {
		return ServerTimingFilter.registration(Tier.APP);
	}

	/**
	 * A number or a boolean where the API expects text (an ISBN sent as a number) is
	 * refused like text where it expects a number
	 * ({@code spring.jackson.mapper.allow-coercion-of-scalars}), never converted.
	 */
	@Bean
	JsonMapperBuilderCustomizer textIsNeverCoerced() {
		return (builder) -> builder.withCoercionConfig(LogicalType.Textual,
				(text) -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
					.setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
					.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
	}

	/**
	 * A field sent twice ({@code "lines":[...],"lines":[...]}) says two things: the body
	 * is refused as malformed, not read as the last of them.
	 */
	@Bean
	JsonMapperBuilderCustomizer duplicateFieldsAreRefused() {
		return (builder) -> builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
	}

	/** Problem documents for the errors that never reach a controller. */
	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports(NodeProperties node) {
		return ProblemErrorReportValve.installing(new ProblemErrorReportValve(Tier.APP, node.name(), null));
	}

	@Bean
	FilterRegistrationBean<BodySizeLimitFilter> bodySizeLimitFilter(AppProperties properties) {
		FilterRegistrationBean<BodySizeLimitFilter> registration = new FilterRegistrationBean<>(
				new BodySizeLimitFilter(properties.maxRequestBody().toBytes()));
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
		registration.setDispatcherTypes(DispatcherType.REQUEST);
		return registration;
	}

}
