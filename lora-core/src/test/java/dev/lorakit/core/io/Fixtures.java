package dev.lorakit.core.io;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds test fixtures: copies in the test resources, and the optional shared reference folder. */
public final class Fixtures {
    private Fixtures() {}

    /** A folder or file under {@code src/test/resources/fixtures/}. */
    public static Path resource(String relative) {
        URL url = Fixtures.class.getResource("/fixtures/" + relative);
        if (url == null) {
            throw new IllegalStateException("test resource fixtures/" + relative + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file in the shared reference fixtures ($LORAKIT_SHARED/fixtures, else ../shared/fixtures), if present. */
    public static Optional<Path> shared(String relative) {
        String env = System.getenv("LORAKIT_SHARED");
        String root = System.getProperty("lorakit.project.root", ".");
        for (Path base : new Path[] {env == null ? null : Path.of(env, "fixtures"), Path.of(root, "..", "shared", "fixtures")}) {
            if (base != null && Files.exists(base.resolve(relative))) {
                return Optional.of(base.resolve(relative));
            }
        }
        return Optional.empty();
    }
}
