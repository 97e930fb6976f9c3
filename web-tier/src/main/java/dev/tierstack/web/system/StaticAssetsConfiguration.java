package dev.tierstack.web.system;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.resource.HttpResource;
import org.springframework.web.servlet.resource.ResourceResolverChain;
import org.springframework.web.servlet.resource.TransformedResource;
import org.springframework.web.servlet.resource.VersionResourceResolver;

/**
 * Static assets under content-hashed URLs ({@code /css/site-<md5>.css}). Thymeleaf's
 * {@code @{...}} links are rewritten to the hashed form by Spring's resource chain, so a
 * hashed URL never changes its content and browsers and proxies may keep it for a year
 * without asking again. The plain URL (not linked from any page) is revalidated on every
 * use instead, since its content changes with each release.
 */
@Configuration(proxyBeanMethods = false)
class StaticAssetsConfiguration implements WebMvcConfigurer {

	private static final List<String> DIRECTORIES = List.of("css", "js", "images");

	static final CacheControl HASHED = CacheControl.maxAge(Duration.ofDays(365)).cachePublic().immutable();

	@Override
	public void addResourceHandlers(ResourceHandlerRegistry registry) {
		for (String directory : DIRECTORIES) {
			registry.addResourceHandler("/" + directory + "/**")
				.addResourceLocations("classpath:/static/" + directory + "/")
				.setCacheControl(CacheControl.noCache())
				.resourceChain(true)
				.addResolver(new ImmutableWhenHashedResolver().addContentVersionStrategy("/**"));
		}
	}

	/**
	 * Serves hashed URLs with the long-lived {@code Cache-Control}; plain ones keep the
	 * handler's. A resolved resource that carries response headers is one that was asked
	 * for under a hashed name (that is how {@link VersionResourceResolver} marks them).
	 */
	static final class ImmutableWhenHashedResolver extends VersionResourceResolver {

		@Override
		protected @Nullable Resource resolveResourceInternal(@Nullable HttpServletRequest request, String requestPath,
				List<? extends Resource> locations, ResourceResolverChain chain) {
			Resource resource = super.resolveResourceInternal(request, requestPath, locations, chain);
			if (resource instanceof HttpResource hashed) {
				try {
					return new ImmutableResource(resource, hashed.getResponseHeaders());
				}
				catch (IOException ex) {
					return resource;
				}
			}
			return resource;
		}

	}

	private static final class ImmutableResource extends TransformedResource implements HttpResource {

		private final HttpHeaders headers;

		ImmutableResource(Resource original, HttpHeaders originalHeaders) throws IOException {
			super(original, original.getContentAsByteArray());
			this.headers = new HttpHeaders();
			this.headers.putAll(originalHeaders);
			this.headers.setCacheControl(HASHED);
		}

		@Override
		public HttpHeaders getResponseHeaders() {
			return this.headers;
		}

	}

}
