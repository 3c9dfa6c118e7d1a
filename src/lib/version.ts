/** The legate release, shown by `legate version` and `/v1/agent/self`. */
export const VERSION = "0.1.0";

/** The Consul version whose behaviour and API legate follows. */
export const CONSUL_COMPAT_VERSION = "1.20.0";

/** The build where Consul reports its git revision (`Revision`, `SHA`, the `build` tag). */
export const REVISION = `legate-${VERSION}`;

/**
 * When this build was made (RFC 3339). legate stamps no date into its
 * builds, so this is the value Consul reports for an unstamped build.
 */
export const BUILD_DATE = "1970-01-01T00:00:01Z";
