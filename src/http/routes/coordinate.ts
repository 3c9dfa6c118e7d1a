/**
 * `/v1/coordinate/*` (Consul agent/coordinate_endpoint.go): the LAN
 * coordinate of every node, one node's, the datacenters' server
 * coordinates, and `PUT /v1/coordinate/update`. Reads block on the
 * coordinate index (`?index=`), as Consul's block on its coordinates
 * table; `?segment=` keeps one segment's entries.
 * @module
 */

import {
  coordinateFromJson,
  coordinateJson,
  type CoordinateStore,
  defaultVivaldiConfig,
  isValidCoordinate,
  type NodeCoordinate,
} from "../../coordinate/mod.ts";
import { parkRequest, parseReadOptions } from "../blocking.ts";
import { consulHeaders, type RequestContext } from "../context.ts";
import { asObject, optString } from "../decode.ts";
import { badRequest, HttpError } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";

/** Consul's WAN area ID (types.AreaWAN), the only area legate reports. */
const WAN_AREA = "wan";

/** Registers the coordinate routes. */
export function coordinateRoutes(router: HttpRouter): void {
  router
    .add("GET", "/v1/coordinate/datacenters", (ctx) => {
      const store = mustStore(ctx);
      return ctx.json([{
        Datacenter: ctx.deps.config.datacenter,
        AreaID: WAN_AREA,
        Coordinates: store.nodes().filter((e) => e.server).map(entryJson),
      }]);
    })
    .add("GET", "/v1/coordinate/nodes", async (ctx) => {
      const store = mustStore(ctx);
      const index = await awaitCoordinates(ctx, store);
      return ctx.json(filterSegment(ctx, store.nodes()).map(entryJson), { index });
    })
    .add("GET", "/v1/coordinate/node/:node", async (ctx) => {
      const store = mustStore(ctx);
      const index = await awaitCoordinates(ctx, store);
      const entry = store.get(ctx.param("node"));
      const found = filterSegment(ctx, entry === undefined ? [] : [entry]);
      if (found.length === 0) {
        return { status: 404, headers: consulHeaders(undefined, index), body: null };
      }
      return ctx.json(found.map(entryJson), { index });
    })
    .add("PUT", "/v1/coordinate/update", update);
}

/** Consul answers 401 with this text when coordinates are disabled. */
function mustStore(ctx: RequestContext): CoordinateStore {
  const store = ctx.deps.coordinates;
  if (store === undefined) throw new HttpError(401, "Coordinate support disabled");
  return store;
}

/** Blocks (with `?index=`) until the coordinates move past it; returns the current index. */
async function awaitCoordinates(ctx: RequestContext, store: CoordinateStore): Promise<number> {
  const options = parseReadOptions(ctx);
  const after = options.index;
  if (after === undefined || after === 0 || store.index > after) return store.index;
  await parkRequest(ctx, options.waitMs, (signal) => store.waitForChange(after, signal));
  return store.index;
}

/** Consul's filterCoordinates: with `?segment=` (even empty), only that segment's entries. */
function filterSegment(ctx: RequestContext, entries: readonly NodeCoordinate[]): NodeCoordinate[] {
  if (ctx.search === "" || !ctx.searchParams.has("segment")) return [...entries];
  const segment = ctx.query("segment") ?? "";
  return entries.filter((e) => e.segment === segment);
}

/** structs.Coordinate as JSON: Node, Segment, Coord (Partition is omitted when empty). */
function entryJson(e: NodeCoordinate): Record<string, unknown> {
  return { Node: e.node, Segment: e.segment, Coord: coordinateJson(e.coord) };
}

/**
 * `PUT /v1/coordinate/update` (`{"Node","Segment","Coord"}`): refuses
 * invalid or incompatible coordinates (400 where Consul's RPC error is a
 * 500), drops updates for nodes the catalog does not hold (Consul's state
 * store does the same, silently) and stores the rest; an empty answer.
 */
async function update(ctx: RequestContext): Promise<HttpResponse> {
  const store = mustStore(ctx);
  const raw = await ctx.jsonBody();
  if (raw === undefined) throw badRequest("Request decode failed: EOF");
  const body = asObject(raw, "the coordinate update");
  const node = optString(body, "Node") ?? "";
  const segment = optString(body, "Segment") ?? "";
  const rawCoord = body.Coord ?? body.coord;
  if (rawCoord === undefined || rawCoord === null) throw badRequest("invalid coordinate");
  const coord = coordinateFromJson(rawCoord);
  if (coord === undefined) {
    throw badRequest("Request decode failed: Coord: expected a coordinate object");
  }
  if (!isValidCoordinate(coord)) throw badRequest("invalid coordinate");
  if (coord.vec.length !== defaultVivaldiConfig().dimensionality) {
    throw badRequest("incompatible coordinate");
  }
  const known = ctx.deps.catalog.node(node);
  if (known !== undefined) store.post(known.node, segment, coord);
  return { status: 200, headers: consulHeaders(undefined, store.index), body: null };
}
