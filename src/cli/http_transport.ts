/**
 * [edge] The CLI's one use of `fetch`: requests to an agent's HTTP API.
 * Everything else about the API (paths, errors, decoding) lives in the
 * pure `api_client.ts`, which receives this function through CliIo.
 * @module
 */

/**
 * Sends `request` without following redirects (the API never redirects;
 * a redirect means the address is not an agent).
 */
export function sendHttpRequest(request: Request): Promise<Response> {
  return fetch(request, { redirect: "manual" });
}
