package dev.tierstack.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command line (docker, compose) with a time limit, capturing stdout and stderr
 * separately: the engine prints warnings on stderr that must not end up in parsed output.
 */
final class Proc {

	private Proc() {
	}

	record Result(List<String> command, int exitCode, String out, String err) {

		boolean ok() {
			return this.exitCode == 0;
		}

		Result orThrow() {
			if (!ok()) {
				throw new IllegalStateException("command failed (" + this.exitCode + "): "
						+ String.join(" ", this.command) + "\n" + this.out + "\n" + this.err);
			}
			return this;
		}

		String trimmed() {
			return this.out.strip();
		}

		List<String> lines() {
			return this.out.lines().map(String::strip).filter((line) -> !line.isEmpty()).toList();
		}

	}

	static Result run(Duration timeout, Path directory, Map<String, String> environment, List<String> command) {
		return run(timeout, directory, environment, command, "");
	}

	/** Runs a command with {@code input} on its standard input (nothing: /dev/null). */
	static Result run(Duration timeout, Path directory, Map<String, String> environment, List<String> command,
			String input) {
		try {
			Path in = Files.createTempFile("proc", ".in");
			Path out = Files.createTempFile("proc", ".out");
			Path err = Files.createTempFile("proc", ".err");
			try {
				Files.writeString(in, input, StandardCharsets.UTF_8);
				ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
					.redirectError(err.toFile())
					.redirectInput(in.toFile());
				if (directory != null) {
					builder.directory(directory.toFile());
				}
				builder.environment().putAll(environment);
				Process process = builder.start();
				if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
					process.descendants().forEach(ProcessHandle::destroyForcibly);
					process.destroyForcibly();
					process.waitFor(5, TimeUnit.SECONDS);
					return new Result(command, -1, Files.readString(out, StandardCharsets.UTF_8),
							"timed out after " + timeout + "\n" + Files.readString(err, StandardCharsets.UTF_8));
				}
				return new Result(command, process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
						Files.readString(err, StandardCharsets.UTF_8));
			}
			finally {
				Files.deleteIfExists(in);
				Files.deleteIfExists(out);
				Files.deleteIfExists(err);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted: " + command, ex);
		}
	}

	static Result run(Duration timeout, String... command) {
		return run(timeout, null, Map.of(), Arrays.asList(command));
	}

	static Result docker(Duration timeout, String... arguments) {
		String[] command = new String[arguments.length + 1];
		command[0] = "docker";
		System.arraycopy(arguments, 0, command, 1, arguments.length);
		return run(timeout, command);
	}

}
