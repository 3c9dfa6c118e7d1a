/**
 * Writing and resolving prepared queries with Consul's state-store rules
 * (agent/consul/state/prepared_query.go): unique names (case-insensitive),
 * no name equal to another query's ID, one catch-all (empty-named)
 * template, an existing session, a template that compiles. Resolution: an
 * ID (not of a template), else an exact name, else the template with the
 * longest name prefix, rendered for the name asked.
 * @module
 */

import { applied, applyFailed } from "./apply_result.ts";
import type { ApplyResult } from "./apply_result.ts";
import type { PreparedQueryDeleteCommand, PreparedQuerySetCommand } from "./commands.ts";
import {
  definitionProblem,
  isTemplate,
  isUuid,
  type PreparedQuery,
  type PreparedQueryDefinition,
} from "./prepared_query.ts";
import { type CompiledTemplate, compileTemplate } from "./prepared_query_template.ts";
import type { StateStore } from "./store.ts";

/** Applies `prepared_query_set`: a create (new ID) or an update (existing ID). */
export function applyPreparedQuerySet(
  store: StateStore,
  index: number,
  cmd: PreparedQuerySetCommand,
): ApplyResult {
  const query = cmd.query;
  const existing = store.preparedQuery(query.id);
  if (query.id === "") return applyFailed("invalid_argument", "Missing query ID");
  if (cmd.op === "update" && existing === undefined) {
    return applyFailed("not_found", `Cannot modify non-existent prepared query: '${query.id}'`);
  }
  if (cmd.op === "create" && existing !== undefined) {
    return applyFailed("invalid_argument", `Prepared query ID '${query.id}' already exists`);
  }
  const problem = definitionProblem(query) ?? stateProblem(store, query);
  if (problem !== undefined) {
    return applyFailed("invalid_argument", `Invalid prepared query: ${problem}`);
  }
  store.putPreparedQuery({
    ...query,
    createIndex: existing?.createIndex ?? index,
    modifyIndex: index,
  }, index);
  return applied();
}

/** Applies `prepared_query_delete`; an unknown ID fails with `not_found`, as Consul's Apply. */
export function applyPreparedQueryDelete(
  store: StateStore,
  index: number,
  cmd: PreparedQueryDeleteCommand,
): ApplyResult {
  if (!store.removePreparedQuery(cmd.id, index)) {
    return applyFailed("not_found", `Cannot modify non-existent prepared query: '${cmd.id}'`);
  }
  return applied();
}

/** Deletes the queries bound to a session that is going away (Consul's deleteSessionTxn). */
export function deleteQueriesOfSession(store: StateStore, index: number, session: string): void {
  const ids: string[] = [];
  for (const query of store.allPreparedQueries()) if (query.session === session) ids.push(query.id);
  for (const id of ids.sort()) store.removePreparedQuery(id, index);
}

function stateProblem(store: StateStore, query: PreparedQueryDefinition): string | undefined {
  const lower = query.name.toLowerCase();
  for (const other of store.allPreparedQueries()) {
    if (other.id === query.id) continue;
    if (query.name !== "" && other.name.toLowerCase() === lower) {
      return `name '${query.name}' aliases an existing query name`;
    }
    if (query.name === "" && isTemplate(query) && other.name === "" && isTemplate(other)) {
      return "a query template with an empty name already exists";
    }
  }
  if (isUuid(query.name) && store.preparedQuery(query.name) !== undefined) {
    return `name '${query.name}' aliases an existing query ID`;
  }
  if (query.session !== "" && store.session(query.session) === undefined) {
    return `invalid session ${JSON.stringify(query.session)}`;
  }
  if (isTemplate(query)) {
    const compiled = compileTemplate(query);
    if (!compiled.ok) return `failed compiling template: ${compiled.error}`;
  }
  return undefined;
}

/** What resolving a name or ID gave. */
export type ResolveResult =
  /** `query` is rendered when `stored` is a template. */
  | {
    readonly kind: "found";
    readonly query: PreparedQueryDefinition;
    readonly stored: PreparedQuery;
  }
  | { readonly kind: "not_found" }
  | { readonly kind: "error"; readonly message: string };

/** Compiled templates by stored record (records are frozen and replaced on change). */
const compiled = new WeakMap<PreparedQuery, CompiledTemplate>();

/**
 * Resolves `idOrName` as Consul's PreparedQueryResolve: a UUID-shaped
 * value that is a query's ID gives that query (a template by ID is an
 * error); else the query named exactly so (case-insensitive); else the
 * template whose name is the longest prefix of it (case-insensitive; the
 * empty-named template matches everything). Templates are rendered for
 * `idOrName` as given.
 */
export function resolvePreparedQuery(store: StateStore, idOrName: string): ResolveResult {
  if (idOrName === "") return { kind: "not_found" };
  if (isUuid(idOrName)) {
    const byId = store.preparedQuery(idOrName);
    if (byId !== undefined) {
      if (isTemplate(byId)) {
        return {
          kind: "error",
          message: "Prepared query templates can only be resolved up by name, not by ID",
        };
      }
      return { kind: "found", query: byId, stored: byId };
    }
  }
  const lower = idOrName.toLowerCase();
  let best: PreparedQuery | undefined;
  for (const query of store.allPreparedQueries()) {
    if (query.name !== "" && query.name.toLowerCase() === lower) return render(query, idOrName);
    if (!isTemplate(query) || !lower.startsWith(query.name.toLowerCase())) continue;
    if (best === undefined || query.name.length > best.name.length) best = query;
  }
  return best === undefined ? { kind: "not_found" } : render(best, idOrName);
}

function render(query: PreparedQuery, name: string): ResolveResult {
  if (!isTemplate(query)) return { kind: "found", query, stored: query };
  let template = compiled.get(query);
  if (template === undefined) {
    const result = compileTemplate(query);
    if (!result.ok) return { kind: "error", message: `failed compiling template: ${result.error}` };
    template = result.template;
    compiled.set(query, template);
  }
  return { kind: "found", query: template.render(name), stored: query };
}
