package dev.tierstack.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Security;

import dev.tierstack.support.NodeProperties;
import dev.tierstack.support.ProblemErrorReportValve;
import dev.tierstack.support.ServerTimingFilter;
import dev.tierstack.support.Tier;
import dev.tierstack.support.TierHeadersFilter;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.boot.micrometer.tracing.autoconfigure.prometheus.PrometheusExemplarsAutoConfiguration;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ClassPathResource;

/**
 * The web tier: pages, static assets and the route of {@code /api/**} to the app tier.
 * Its settings live in {@code web-tier.yaml}, the configuration name that {@link #main}
 * sets.
 */
// Nobody logs in: no user store, and no generated password in the log. No exemplars (a
// sampled request's trace id beside its timings) in the metrics: Prometheus 2.42 refuses
// them on a histogram's _count and fails the whole scrape (docs/design.md).
@SpringBootApplication(
		exclude = { UserDetailsServiceAutoConfiguration.class, PrometheusExemplarsAutoConfiguration.class })
@ConfigurationPropertiesScan
public class WebTierApplication {

	public static void main(String[] args) {
		// The JVM keeps DNS answers for 30 s (and failed lookups for 10 s), read once at
		// its first lookup: an app instance added by scaling or by a rolling update is to
		// be met within about a second (APP_TIER_DNS_REFRESH), as the one it replaces may
		// already be draining.
		if (Security.getProperty("networkaddress.cache.ttl") == null) {
			Security.setProperty("networkaddress.cache.ttl", "1");
			Security.setProperty("networkaddress.cache.negative.ttl", "1");
		}
		new SpringApplicationBuilder(WebTierApplication.class).properties("spring.config.name=web-tier").run(args);
	}

	/**
	 * The request id and {@code X-Web-Node} on every response, error pages included.
	 * @param node this node
	 * @return the filter's registration
	 */
	@Bean
	FilterRegistrationBean<TierHeadersFilter> tierHeadersFilter(NodeProperties node) {
		return TierHeadersFilter.registration(Tier.WEB, node);
	}

	/**
	 * {@code Server-Timing} on every response: this node's time ({@code web}), and the
	 * app tier's, summed over a page's calls or passed on from an {@code /api} answer.
	 * @return the filter's registration
	 */
	@Bean
	FilterRegistrationBean<ServerTimingFilter> serverTimingFilter() {
		return ServerTimingFilter.registration(Tier.WEB);
	}

	/**
	 * The site's error page, or a problem document under {@code /api}, for the errors
	 * that never reach the application (a path Tomcat refuses, headers over the limit).
	 * The page is plain HTML: no template can be rendered before the application.
	 * @param node this node
	 * @return the customizer that installs the error report
	 * @throws IOException if the page cannot be read
	 */
	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> siteErrorReports(NodeProperties node) throws IOException {
		String page = new ClassPathResource("error-report/page.html").getContentAsString(StandardCharsets.UTF_8);
		return ProblemErrorReportValve.installing(new ProblemErrorReportValve(Tier.WEB, node.name(), page));
	}

}
