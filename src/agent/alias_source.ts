/**
 * The catalog as alias checks see it: the aliased node's checks and
 * services, and the table watches that wake an alias on every change.
 * @module
 */

import type { CatalogQueries, Table, TableWatches } from "../catalog/mod.ts";
import type { AliasSource } from "./checks/mod.ts";

/** The tables an alias result depends on. */
const ALIAS_TABLES: readonly Table[] = ["nodes", "services", "checks"];

/**
 * Builds the {@link AliasSource} of an agent. An empty alias node means
 * `nodeName()`: Consul reads its local state there, legate reads the
 * catalog, which anti-entropy keeps equal to it.
 *
 * @example
 * ```ts ignore
 * const source = catalogAliasSource(catalog, watches, () => config.nodeName);
 * ```
 */
export function catalogAliasSource(
  catalog: CatalogQueries,
  watches: TableWatches,
  nodeName: () => string,
): AliasSource {
  return {
    read(target) {
      const localNode = nodeName();
      const node = target.node === "" ? localNode : target.node;
      const index = catalog.maxIndex(...ALIAS_TABLES);
      const checks = catalog.checksForNode(node);
      const services = catalog.nodeServices(node)?.services ?? [];
      const serviceExists = target.serviceId !== "" &&
        services.some((s) => s.id === target.serviceId);
      return { index, checks, serviceExists, localNode };
    },
    waitForChange(afterIndex, signal) {
      return watches.waitForChange(ALIAS_TABLES, afterIndex, signal);
    },
  };
}
