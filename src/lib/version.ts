/** The legate release, shown by `legate version` and `/v1/agent/self`. */
export const VERSION = "0.1.0";

/** The Consul version whose behaviour and API legate follows. */
export const CONSUL_COMPAT_VERSION = "1.20.0";
