/**
 * The HTTP boundary's one error mapping: expected failures become a status
 * and a one-line plain-text message (Consul's style); anything unexpected
 * is a 500 with a request-neutral message, logged once.
 * @module
 */

import { AgentError, type ErrorCode, errorMessage, type Logger } from "../lib/mod.ts";
import type { HttpResponse } from "./exchange.ts";

/** An error with the HTTP status it maps to. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** Status per operating error code. */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  config_invalid: 400,
  invalid_argument: 400,
  not_found: 404,
  conflict: 409,
  permission_denied: 403,
  storage_corrupt: 500,
  unavailable: 503,
  timeout: 504,
  internal: 500,
};

/** Shorthand for a 400. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** Shorthand for a 404. */
export function notFound(message: string): HttpError {
  return new HttpError(404, message);
}

/** Renders any thrown value as a response. */
export function errorToResponse(err: unknown, logger: Logger): HttpResponse {
  if (err instanceof HttpError) return textResponse(err.status, err.message, err.headers);
  if (err instanceof AgentError) {
    const status = STATUS_BY_CODE[err.code];
    if (status >= 500) logger.error("request failed", { code: err.code, error: err.message });
    return textResponse(status, err.message);
  }
  logger.error("unexpected error in request", { error: errorMessage(err) });
  return textResponse(500, "Internal error: the request failed unexpectedly; see the agent log");
}

function textResponse(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
    body: message.endsWith("\n") ? message : `${message}\n`,
  };
}
