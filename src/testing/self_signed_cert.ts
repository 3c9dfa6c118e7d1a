/**
 * A fixed self-signed certificate for TLS tests (P-256, CN and SAN
 * legate-test.local plus IP 127.0.0.1, valid 2000-01-01 to 2100-01-01).
 * Checked in rather than generated at test time, so TLS tests never
 * depend on an `openssl` binary and never skip. Test-only: its private
 * key is public.
 * @module
 */

/** PEM certificate and key for the DNS name {@link TEST_TLS_NAME} (and 127.0.0.1). */
export interface SelfSignedCert {
  readonly cert: string;
  readonly key: string;
}

/** The name the test certificate is issued for. */
export const TEST_TLS_NAME = "legate-test.local";

/** The test certificate and its key. */
export const TEST_TLS_CERT: SelfSignedCert = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAcMRowGAYDVQQDDBFsZWdhdGUt
dGVzdC5sb2NhbDAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowHDEa
MBgGA1UEAwwRbGVnYXRlLXRlc3QubG9jYWwwWTATBgcqhkjOPQIBBggqhkjOPQMB
BwNCAARYI5Mg+CVWrsXSJCIouHiIRIZy1m6EelAT+gBGk5Qg+6aMCc874oz/JTDv
+ZxnaM1bfiWwD7HeqTkqCmoUVh2Io1YwVDAiBgNVHREEGzAZghFsZWdhdGUtdGVz
dC5sb2NhbIcEfwAAATAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBTanRDYIE4W
Ud9JpshfXv2t8YuTpjAKBggqhkjOPQQDAgNHADBEAiBNxXFQaY8vf0MbQMGxkcSN
OfR803qTvlNNepOvyHTPqgIgdFUzaAgDxSAn8RaGz6bB5tVxOBdmV9rPH0BADehR
CxI=
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjn/0AY9grLWSdZe1
CqcaerS0qMNa4e2pxrSsi6NjdPGhRANCAARYI5Mg+CVWrsXSJCIouHiIRIZy1m6E
elAT+gBGk5Qg+6aMCc874oz/JTDv+ZxnaM1bfiWwD7HeqTkqCmoUVh2I
-----END PRIVATE KEY-----
`,
};
