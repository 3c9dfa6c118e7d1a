/**
 * A throwaway self-signed certificate for TLS tests, made with the
 * `openssl` CLI at test time (Deno cannot write X.509 itself).
 * @module
 */

/** PEM certificate and key for the DNS name {@link TEST_TLS_NAME} (and 127.0.0.1). */
export interface SelfSignedCert {
  readonly cert: string;
  readonly key: string;
}

/** The name the test certificate is issued for. */
export const TEST_TLS_NAME = "legate-test.local";

/**
 * Creates a P-256 self-signed certificate valid for one day, or returns
 * `undefined` when `openssl` cannot be run (tests then skip their TLS cases).
 *
 * @example
 * ```ts ignore
 * const tls = await selfSignedCert();
 * Deno.test({ name: "...", ignore: tls === undefined, fn: () => {} });
 * ```
 */
export async function selfSignedCert(): Promise<SelfSignedCert | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "legate-tls-" });
  try {
    const { success } = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${TEST_TLS_NAME}`,
        "-addext",
        `subjectAltName=DNS:${TEST_TLS_NAME},IP:127.0.0.1`,
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!success) return undefined;
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } catch {
    // openssl is not installed or may not be run: no TLS tests.
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
