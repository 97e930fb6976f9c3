package dev.tierstack.systemtest;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands every test class the same {@link ComposeStack}: started by the first class that
 * asks for it, kept in the root store and closed (`down -v`) when the whole run ends,
 * passed or failed.
 */
final class StackExtension implements ParameterResolver {

	private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

	@Override
	public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return parameterContext.getParameter().getType() == ComposeStack.class;
	}

	@Override
	public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
		return extensionContext.getRoot()
			.getStore(NAMESPACE)
			.computeIfAbsent("stack", (key) -> new Holder(), Holder.class)
			.stack();
	}

	/** Starts the stack at most once: a failed start fails every later class at once. */
	static final class Holder implements AutoCloseable {

		private ComposeStack stack;

		private RuntimeException failure;

		synchronized ComposeStack stack() {
			if (this.stack == null && this.failure == null) {
				try {
					this.stack = ComposeStack.start();
				}
				catch (RuntimeException ex) {
					this.failure = ex;
				}
			}
			if (this.failure != null) {
				throw new IllegalStateException("the compose stack did not come up", this.failure);
			}
			return this.stack;
		}

		@Override
		public synchronized void close() {
			if (this.stack != null) {
				this.stack.close();
			}
		}

	}

}
