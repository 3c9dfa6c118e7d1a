import { assert, assertEquals } from "../testing/assert.ts";
import {
  USER_EVENT_VERSION,
  type UserEvent,
  UserEventBuffer,
  userEventMatches,
  validateUserEventFilters,
} from "./user_events.ts";

function event(name: string, extra: Partial<UserEvent> = {}): UserEvent {
  return {
    id: `id-${name}`,
    name,
    payload: null,
    nodeFilter: "",
    serviceFilter: "",
    tagFilter: "",
    version: USER_EVENT_VERSION,
    ltime: 0,
    ...extra,
  };
}

Deno.test("UserEventBuffer.list() keeps the newest events, oldest first, filtered by name", () => {
  const buffer = new UserEventBuffer(3);
  for (const name of ["a", "b", "a", "c", "a"]) buffer.ingest(event(name));
  assertEquals(buffer.list().map((e) => e.name), ["a", "c", "a"]);
  assertEquals(buffer.list("a").length, 2);
  assertEquals(buffer.list("b"), []);
  assertEquals(buffer.index, 6);
});

Deno.test("UserEventBuffer holds 256 events by default", () => {
  const buffer = new UserEventBuffer();
  for (let i = 0; i < 300; i++) buffer.ingest(event(`e${i}`));
  const names = buffer.list().map((e) => e.name);
  assertEquals(names.length, 256);
  assertEquals(names[0], "e44");
  assertEquals(names[255], "e299");
});

Deno.test("UserEventBuffer.tick() and witness() follow Lamport's rule", () => {
  const buffer = new UserEventBuffer();
  assertEquals(buffer.tick(), 1);
  assertEquals(buffer.tick(), 2);
  buffer.witness(10);
  assertEquals(buffer.tick(), 12);
  buffer.witness(3);
  assertEquals(buffer.ltime, 12);
});

Deno.test("UserEventBuffer.waitForChange() resolves on ingest, on abort, and at once for another index", async () => {
  const buffer = new UserEventBuffer();
  assertEquals(buffer.index, 1, "an empty buffer's index is 1, as Consul answers");
  buffer.ingest(event("a"));
  assertEquals(await buffer.waitForChange(0, new AbortController().signal), 2);
  assertEquals(await buffer.waitForChange(7, new AbortController().signal), 2);
  const woken = buffer.waitForChange(2, new AbortController().signal);
  assertEquals(buffer.pending, 1);
  buffer.ingest(event("b"));
  assertEquals(await woken, 3);
  assertEquals(buffer.pending, 0);
  const controller = new AbortController();
  const aborted = buffer.waitForChange(3, controller.signal);
  controller.abort();
  assertEquals(await aborted, 3);
  assertEquals(buffer.pending, 0);
});

Deno.test("validateUserEventFilters() rejects a tag without a service and bad patterns", () => {
  assertEquals(
    validateUserEventFilters({ nodeFilter: "", serviceFilter: "", tagFilter: "" }),
    undefined,
  );
  assertEquals(
    validateUserEventFilters({ nodeFilter: "", serviceFilter: "", tagFilter: "v1" }),
    "Cannot provide tag filter without service filter",
  );
  assertEquals(
    validateUserEventFilters({ nodeFilter: "(", serviceFilter: "", tagFilter: "" }),
    'Invalid node filter: "(" is not a valid regular expression',
  );
  assertEquals(
    validateUserEventFilters({ nodeFilter: "", serviceFilter: "web", tagFilter: "[" }),
    'Invalid tag filter: "[" is not a valid regular expression',
  );
});

Deno.test("userEventMatches() applies node, service and tag filters as unanchored searches", () => {
  const target = {
    nodeName: "node01",
    services: [{ id: "web-1", service: "web", tags: ["v1", "primary"] }],
  };
  assert(userEventMatches(event("x"), target));
  assert(userEventMatches(event("x", { nodeFilter: "node0" }), target));
  assert(!userEventMatches(event("x", { nodeFilter: "^node02$" }), target));
  assert(userEventMatches(event("x", { serviceFilter: "^web-1$" }), target));
  assert(userEventMatches(event("x", { serviceFilter: "^web$" }), target));
  assert(!userEventMatches(event("x", { serviceFilter: "db" }), target));
  assert(userEventMatches(event("x", { serviceFilter: "web", tagFilter: "prim" }), target));
  assert(!userEventMatches(event("x", { serviceFilter: "web", tagFilter: "v2" }), target));
  assert(!userEventMatches(event("x", { version: USER_EVENT_VERSION + 1 }), target));
});
