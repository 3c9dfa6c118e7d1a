import { assertEquals } from "../testing/mod.ts";
import { type RouteMatch, Router } from "./router.ts";

function router(): Router<string> {
  return new Router<string>()
    .add("GET", "/v1/catalog/nodes", "nodes")
    .add("GET", "/v1/catalog/service/:name", "service")
    .add("GET", "/v1/a/:x/b/:y", "two")
    .add(["GET", "PUT"], "/v1/both", "both")
    .add("GET", "/v1/kv/*key", "kv-get")
    .add("PUT", "/v1/kv/*key", "kv-put")
    .add("DELETE", "/v1/kv/*key", "kv-delete")
    .add("GET", "/", "root");
}

function found(handler: string, params: Record<string, string> = {}): RouteMatch<string> {
  return { kind: "found", handler, params };
}

Deno.test("Router.match() finds literal routes and binds :params", () => {
  const r = router();
  assertEquals(r.match("GET", "/v1/catalog/nodes"), found("nodes"));
  assertEquals(r.match("GET", "/v1/catalog/service/web"), found("service", { name: "web" }));
  assertEquals(r.match("GET", "/v1/a/1/b/2"), found("two", { x: "1", y: "2" }));
  assertEquals(r.match("GET", "/"), found("root"));
});

Deno.test("Router.match() does not let :param match an empty or extra segment", () => {
  const r = router();
  assertEquals(r.match("GET", "/v1/catalog/service/"), { kind: "not_found" });
  assertEquals(r.match("GET", "/v1/catalog/service"), { kind: "not_found" });
  assertEquals(r.match("GET", "/v1/catalog/service/web/extra"), { kind: "not_found" });
  assertEquals(r.match("GET", "/v1/catalog/nodes/"), { kind: "not_found" });
  assertEquals(r.match("GET", "/v1/a//b/2"), { kind: "not_found" });
});

Deno.test("Router.match() gives *rest the remaining path, slashes included, possibly empty", () => {
  const r = router();
  assertEquals(r.match("GET", "/v1/kv/foo"), found("kv-get", { key: "foo" }));
  assertEquals(r.match("GET", "/v1/kv/a/b/c"), found("kv-get", { key: "a/b/c" }));
  assertEquals(r.match("GET", "/v1/kv/web/"), found("kv-get", { key: "web/" }));
  assertEquals(r.match("GET", "/v1/kv/a//b"), found("kv-get", { key: "a//b" }));
  assertEquals(r.match("GET", "/v1/kv/"), found("kv-get", { key: "" }));
  assertEquals(r.match("GET", "/v1/kv"), found("kv-get", { key: "" }));
  assertEquals(r.match("PUT", "/v1/kv/x"), found("kv-put", { key: "x" }));
  assertEquals(r.match("DELETE", "/v1/kv/x"), found("kv-delete", { key: "x" }));
});

Deno.test("Router.match() tells 404 from 405 and lists every allowed method", () => {
  const r = router();
  assertEquals(r.match("GET", "/v1/nope"), { kind: "not_found" });
  assertEquals(r.match("PUT", "/v1/nope"), { kind: "not_found" });
  assertEquals(r.match("PUT", "/v1/catalog/nodes"), {
    kind: "method_not_allowed",
    allow: ["GET"],
  });
  assertEquals(r.match("DELETE", "/v1/both"), {
    kind: "method_not_allowed",
    allow: ["GET", "PUT"],
  });
  assertEquals(r.match("POST", "/v1/kv/a"), {
    kind: "method_not_allowed",
    allow: ["GET", "PUT", "DELETE"],
  });
  // Methods are case-sensitive, as HTTP's are.
  assertEquals(r.match("get", "/v1/catalog/nodes"), {
    kind: "method_not_allowed",
    allow: ["GET"],
  });
});

Deno.test("Router.match() percent-decodes params and *rest after splitting on raw slashes", () => {
  const r = router();
  assertEquals(
    r.match("GET", "/v1/catalog/service/my%20svc"),
    found("service", {
      name: "my svc",
    }),
  );
  // An encoded slash stays inside its one segment.
  assertEquals(r.match("GET", "/v1/catalog/service/a%2Fb"), found("service", { name: "a/b" }));
  assertEquals(r.match("GET", "/v1/kv/a%2Fb/c%3Fd"), found("kv-get", { key: "a/b/c?d" }));
  assertEquals(r.match("GET", "/v1/kv/caf%C3%A9"), found("kv-get", { key: "café" }));
  // "+" is not a space in a path.
  assertEquals(r.match("GET", "/v1/kv/a+b"), found("kv-get", { key: "a+b" }));
  // Literal segments are compared undecoded.
  assertEquals(r.match("GET", "/v1/catalog/%6Eodes"), { kind: "not_found" });
});

Deno.test("Router.match() takes malformed escapes literally instead of failing", () => {
  const r = router();
  assertEquals(r.match("GET", "/v1/catalog/service/50%"), found("service", { name: "50%" }));
  assertEquals(r.match("GET", "/v1/catalog/service/%zz"), found("service", { name: "%zz" }));
  assertEquals(r.match("GET", "/v1/kv/a/%E0%A4%A"), found("kv-get", { key: "a/%E0%A4%A" }));
  assertEquals(r.match("GET", "/v1/kv/%FF"), found("kv-get", { key: "%FF" }));
});

Deno.test("Router.match() prefers the first route added when patterns overlap", () => {
  const r = new Router<string>()
    .add("GET", "/v1/x/special", "literal")
    .add("GET", "/v1/x/:id", "param");
  assertEquals(r.match("GET", "/v1/x/special"), found("literal"));
  assertEquals(r.match("GET", "/v1/x/other"), found("param", { id: "other" }));
});
