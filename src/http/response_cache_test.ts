import { assertEquals } from "../testing/assert.ts";
import { ResponseCache, responseCacheKey } from "./response_cache.ts";

Deno.test("ResponseCache.get() hits only at the cached index", () => {
  const cache = new ResponseCache();
  cache.set("/v1/catalog/nodes", 5, "[]");
  assertEquals(cache.get("/v1/catalog/nodes", 5), "[]");
  assertEquals(cache.get("/v1/catalog/nodes", 6), undefined);
  assertEquals(cache.get("/v1/catalog/services", 5), undefined);
});

Deno.test("ResponseCache stays within its bound", () => {
  const cache = new ResponseCache(3);
  for (let i = 0; i < 10; i++) cache.set(`/k${i}`, 1, "x");
  assertEquals(cache.size <= 3, true);
  assertEquals(cache.get("/k9", 1), "x");
});

Deno.test("responseCacheKey() ignores index and wait but keeps everything else", () => {
  const key = (u: string) => responseCacheKey(new URL(u, "http://h"));
  assertEquals(
    key("/v1/health/service/web?passing&index=7&wait=5s"),
    "/v1/health/service/web?passing=",
  );
  assertEquals(key("/v1/catalog/nodes?index=3"), "/v1/catalog/nodes");
  assertEquals(
    key("/v1/catalog/service/web?tag=a&tag=b&pretty&wait=1s"),
    "/v1/catalog/service/web?tag=a&tag=b&pretty=",
  );
  // Without blocking parameters the query is kept as sent.
  assertEquals(
    key("/v1/catalog/service/web?tag=a&tag=b&pretty"),
    "/v1/catalog/service/web?tag=a&tag=b&pretty",
  );
  assertEquals(key("/v1/catalog/nodes"), "/v1/catalog/nodes");
});
