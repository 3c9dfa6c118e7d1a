/**
 * [edge] Asks Deno which of the needed permissions were not granted, without
 * prompting.
 * @module
 */

import type { PermissionNeed } from "../permissions.ts";

function descriptorOf(need: PermissionNeed): Deno.PermissionDescriptor {
  switch (need.name) {
    case "read":
    case "write":
      return { name: need.name, path: need.value };
    case "net":
      return { name: "net", host: need.value };
    case "run":
      return { name: "run", command: need.value };
    case "sys":
      return { name: "sys", kind: need.value as NonNullable<Deno.SysPermissionDescriptor["kind"]> };
    case "env":
      return { name: "env", variable: need.value };
  }
}

/** Returns the needs Deno has not granted. */
export function missingPermissions(needs: readonly PermissionNeed[]): PermissionNeed[] {
  return needs.filter((need) => {
    try {
      return Deno.permissions.querySync(descriptorOf(need)).state !== "granted";
    } catch {
      // An invalid descriptor (say, a malformed host) cannot be granted either.
      return true;
    }
  });
}
