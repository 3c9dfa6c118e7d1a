/**
 * The shapes of the resolver's answers: positive, NODATA, NXDOMAIN and the
 * bare rcodes (CONSUL_REFERENCE.md §1.5).
 * @module
 */

import { soaRecord } from "./soa.ts";
import type { AnswerGroup, DnsAnswerSet, DnsDecision, DnsRcode, DnsView } from "./types.ts";

/** Extra parts of a positive answer. */
export interface AnsweredOptions {
  readonly shuffle?: boolean;
  readonly authorities?: DnsAnswerSet["authorities"];
  readonly additionals?: DnsAnswerSet["additionals"];
  readonly groupLimit?: number;
}

/** NOERROR, authoritative, with `groups` in the answer section. */
export function answered(
  groups: readonly AnswerGroup[],
  options: AnsweredOptions = {},
): DnsAnswerSet {
  const base = {
    rcode: "NOERROR" as const,
    authoritative: true,
    groups,
    shuffle: options.shuffle ?? false,
    authorities: options.authorities ?? [],
    additionals: options.additionals ?? [],
  };
  return options.groupLimit === undefined ? base : { ...base, groupLimit: options.groupLimit };
}

/** NXDOMAIN with the SOA in AUTHORITY (RFC 2308): unknown names, no healthy instance. */
export function nxdomain(view: DnsView): DnsAnswerSet {
  return negative("NXDOMAIN", view);
}

/** NOERROR with no answer and the SOA in AUTHORITY (RFC 2308 NODATA): the name exists, the type not. */
export function nodata(view: DnsView): DnsAnswerSet {
  return negative("NOERROR", view);
}

function negative(rcode: DnsRcode, view: DnsView): DnsAnswerSet {
  return {
    rcode,
    authoritative: true,
    groups: [],
    shuffle: false,
    authorities: [soaRecord(view)],
    additionals: [],
  };
}

/** A bare rcode with no records (NOTIMP for zone transfers, REFUSED outside the domain, ...). */
export function bare(rcode: DnsRcode, authoritative: boolean): DnsAnswerSet {
  return { rcode, authoritative, groups: [], shuffle: false, authorities: [], additionals: [] };
}

/** Wraps an answer set as a decision. */
export function decide(answer: DnsAnswerSet): DnsDecision {
  return { kind: "answer", answer };
}

/** Out of the domain: forward when recursors are configured, else REFUSED (not authoritative). */
export function outsideDomain(view: DnsView): DnsDecision {
  return view.recursion ? { kind: "forward" } : decide(bare("REFUSED", false));
}
