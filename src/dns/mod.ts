/**
 * DNS interface: the pure resolver and the UDP/TCP edges.
 * @module
 */

export { resolve } from "./resolve.ts";
export { instanceWeight, isAnswerable, lookupService } from "./service_lookup.ts";
export type { ServiceQuery } from "./service_lookup.ts";
export { ptrTarget, resolvePtr } from "./ptr.ts";
export { MAX_NAMESERVERS, nameServers, soaRecord, soaSerial } from "./soa.ts";
export type { NameServer } from "./soa.ts";
export { nodeTtlSec, serviceTtlSec } from "./ttl.ts";
export {
  addrName,
  domainLabels,
  isDnsLabel,
  isHostName,
  matchDomain,
  nodeCanonicalName,
  parseQueryName,
  serviceCanonicalName,
} from "./names.ts";
export type { DomainMatch, ParsedName } from "./names.ts";
export {
  formatIp,
  hexToIp,
  ipToHex,
  isReverseName,
  parseIp,
  reverseNameToIp,
  sameIp,
} from "./ip.ts";
export type { IpAddress } from "./ip.ts";
export {
  addressAnswer,
  characterStrings,
  cnameRecord,
  encodeRfc1464,
  ipRecord,
  metaTxtRecords,
  ptrRecord,
  recordKey,
  srvRecord,
  wantsFamily,
} from "./records.ts";
export { answered, bare, decide, nodata, nxdomain, outsideDomain } from "./answer_sets.ts";
export type { AnsweredOptions } from "./answer_sets.ts";
// Wire side: gate, parser, shuffle, trim, answer cache, handler.
export {
  acceptHeader,
  buildErrorReply,
  HEADER_BYTES,
  LEGATE_EDNS_UDP_SIZE,
  OPT_BYTES,
  RCODE,
} from "./accept.ts";
export type { AcceptVerdict, ErrorReplyOptions } from "./accept.ts";
export { parseQuery, QueryFacts, toDnsRequest } from "./request.ts";
export type { ParseOutcome } from "./request.ts";
export { allEqualPositive, GroupShuffler, shuffledOrder } from "./shuffle.ts";
export {
  fitGroups,
  LimitTable,
  replyLimits,
  TCP_ANSWERS_MAX,
  TCP_BYTES_MAX,
  TCP_SRV_ANSWERS_MAX,
  UDP_ANSWER_LIMIT_MAX,
  UDP_EDNS_BYTES_MAX,
  UDP_PLAIN_BYTES,
} from "./truncate.ts";
export type { ReplyLimits } from "./truncate.ts";
export { AnswerCache, assembleReply, encodeAnswerSet } from "./answer_cache.ts";
export type {
  AnswerCacheOptions,
  AssembleStats,
  CachedDecision,
  EncodedAnswerSet,
  ReplyFlags,
} from "./answer_cache.ts";
export { buildReplySlow } from "./reply.ts";
export { createDnsHandler } from "./handler.ts";
export type {
  DnsCounters,
  DnsHandleFn,
  DnsHandler,
  DnsHandlerOptions,
  DnsProto,
} from "./handler.ts";
export { type DnsServer, startDnsServer } from "./dns_server.ts";
export { createRecursorForwarder, type RecursorForwarder } from "./recursor_transport.ts";
export type { DnsQueryHandler } from "./udp_server.ts";
export type {
  AnswerGroup,
  DnsAnswerSet,
  DnsDecision,
  DnsRcode,
  DnsRequest,
  DnsView,
} from "./types.ts";
export { decodePacket, encodeAnswer, encodePacket } from "./packet.ts";
export type { Answer, Packet, Question } from "./packet.ts";
export { recursorBindAddress, splitHostPort } from "./recursor_address.ts";
export { frameMessage, readExactly, readFramedMessage, writeAll } from "./tcp_frame_transport.ts";
