import { assertEquals, assertThrows } from "../testing/assert.ts";
import { Router } from "./router.ts";
import { fetchAdapter, requestFromFetch, responseToFetch, splitTarget } from "./exchange.ts";

/** Targets a client may send, plain ones and the ones URL rewrites. */
const TARGETS = [
  "/",
  "/?",
  "/v1/catalog/service/echo",
  "/v1/health/service/echo?passing",
  "/v1/kv/a%2Fb?x=1&y=%20",
  "/v1/kv/./a",
  "/v1/kv/%2e%2E/a",
  "/v1/kv/a/..",
  "/v1/kv/.hidden",
  "/a b",
  "/a\\b?c",
  "/x?a=b#frag",
  "/\u00fc?\u00fc",
  "//foo/bar",
  "/a?b?c",
  "/a/%zz?%zz",
  "/a/..?x",
  "/a'b?c'd",
  "/a\tb",
  "/{x}?{y}",
];

Deno.test("splitTarget() splits every target as new URL does, as the router decodes it", () => {
  const router = new Router<string>().add("GET", "/*rest", "all");
  const decoded = (pathname: string, search: string) => {
    const match = router.match("GET", pathname);
    return {
      path: match.kind === "found" ? match.params["rest"] : match.kind,
      query: [...new URLSearchParams(search)],
    };
  };
  for (const target of TARGETS) {
    const url = new URL(`http://host${target}`);
    const split = splitTarget(target);
    assertEquals(
      decoded(split.pathname, split.search),
      decoded(url.pathname, url.search),
      target,
    );
  }
});

Deno.test("splitTarget() keeps plain targets as sent and takes absolute URLs", () => {
  assertEquals(splitTarget("/v1/kv/a%2Fb?x=1"), { pathname: "/v1/kv/a%2Fb", search: "?x=1" });
  assertEquals(splitTarget("http://h:1/v1/x?y"), { pathname: "/v1/x", search: "?y" });
  assertEquals(
    assertThrows(() => splitTarget("*")).message,
    'Request target "*" is not a path',
  );
});

Deno.test("requestFromFetch() reads the body within its limit", async () => {
  const make = () => new Request("http://h/v1/kv/k?a=1", { method: "PUT", body: "hello" });
  const request = requestFromFetch(make());
  assertEquals(request.target, "/v1/kv/k?a=1");
  assertEquals(request.header("content-type"), "text/plain;charset=UTF-8");
  assertEquals(new TextDecoder().decode((await request.readBody(5)) ?? undefined), "hello");
  assertEquals(await requestFromFetch(make()).readBody(4), null);
  assertEquals((await requestFromFetch(new Request("http://h/")).readBody(4))?.length, 0);
});

Deno.test("responseToFetch() and fetchAdapter() carry status, headers and body", async () => {
  const response = responseToFetch({ status: 404, headers: { "x-a": "1" }, body: null });
  assertEquals([response.status, response.headers.get("x-a"), await response.text()], [
    404,
    "1",
    "",
  ]);
  const fetch = fetchAdapter((request) =>
    Promise.resolve({ status: 200, headers: {}, body: `${request.method} ${request.target}` })
  );
  assertEquals(await (await fetch(new Request("http://h/p?q"))).text(), "GET /p?q");
});
