package dev.tierstack.web.system;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;

/**
 * Nobody logs in; security here is CSRF protection for the forms and the browser-side
 * headers.
 * <p>
 * The CSRF token lives in a cookie (double submit), not in an HTTP session: HAProxy
 * spreads requests over all web nodes, and a form rendered by one node may be posted to
 * another. The web tier keeps no session at all.
 * <p>
 * {@code /api/**} is a JSON API for programs: no cookies are involved and the app tier
 * needs an {@code Idempotency-Key} header for writes, which a cross-site form cannot
 * send, so CSRF tokens would add nothing there.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

	// No inline scripts or styles anywhere: every page uses /css and /js files.
	static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
			+ "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

	@Bean
	SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
		CookieCsrfTokenRepository csrfTokens = new CookieCsrfTokenRepository();
		csrfTokens.setCookieCustomizer((cookie) -> cookie.sameSite("Lax"));
		http.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll())
			.csrf((csrf) -> csrf.csrfTokenRepository(csrfTokens).ignoringRequestMatchers("/api/**"))
			.sessionManagement((sessions) -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache((cache) -> cache.disable())
			.logout(AbstractHttpConfigurer::disable)
			.headers((headers) -> headers.contentSecurityPolicy((csp) -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
				.referrerPolicy((referrer) -> referrer.policy(ReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN))
				.frameOptions((frames) -> frames.deny()));
		return http.build();
	}

}
