/**
 * Pricing the data stores: RDS instances (instance and storage, doubled for
 * Multi-AZ) and ElastiCache replication groups (per node).
 */
import { num, str } from "../inputs.js";
import type { ResourceRecord } from "../resources.js";
import { none, line, type Priced, type PricingContext, unpriced, unpricedOnly } from "./lines.js";
import type { CacheEngine, DbEngine } from "./prices.js";

export function priceDatabase(record: ResourceRecord, ctx: PricingContext): Priced {
  const out = none();
  const instanceClass = str(record.inputs.instanceClass);
  const engine = dbEngine(str(record.inputs.engine));
  const multiAz = record.inputs.multiAz === true;
  const copies = multiAz ? 2 : 1;
  const az = multiAz ? "Multi-AZ" : "single-AZ";
  const price =
    instanceClass === undefined || engine === undefined ? undefined : ctx.prices.rds[engine][instanceClass];
  if (instanceClass === undefined) {
    out.unpriced.push(unpriced(record, "RDS instance", "the instance class is unknown in the plan"));
  } else if (engine === undefined) {
    out.unpriced.push(
      unpriced(record, `RDS ${instanceClass}`, `engine '${String(record.inputs.engine)}' is not priced`),
    );
  } else if (!price) {
    out.unpriced.push(
      unpriced(
        record,
        `RDS ${engine} ${instanceClass}`,
        `${instanceClass} (${engine}) is not in the price table`,
      ),
    );
  } else {
    out.lines.push(line(record, `RDS ${engine} ${instanceClass} (${az})`, copies, price));
  }
  const storage = num(record.inputs.allocatedStorage);
  // The AWS provider's default when no storage type (nor IOPS) is given.
  const storageType = str(record.inputs.storageType) ?? "gp2";
  const storagePrice = ctx.prices.rdsStorage[storageType];
  if (storage === undefined) {
    out.unpriced.push(unpriced(record, "RDS storage", "allocated storage is unknown in the plan"));
  } else if (!storagePrice) {
    out.unpriced.push(
      unpriced(record, `RDS ${storageType} storage`, `${storageType} is not in the price table`),
    );
  } else {
    out.lines.push(
      line(record, `RDS ${storageType} storage (${az}, ${storage} GB)`, storage * copies, storagePrice),
    );
  }
  return out;
}

function dbEngine(engine: string | undefined): DbEngine | undefined {
  if (engine === "postgres" || engine === "mysql") return engine;
  return undefined;
}

export function priceReplicationGroup(record: ResourceRecord, ctx: PricingContext): Priced {
  const nodeType = str(record.inputs.nodeType);
  const engineInput = str(record.inputs.engine) ?? "redis";
  const engine: CacheEngine | undefined =
    engineInput === "redis" || engineInput === "valkey" ? engineInput : undefined;
  const nodes = cacheNodeCount(record);
  if (nodeType === undefined)
    return unpricedOnly(record, "cache nodes", "the node type is unknown in the plan");
  if (nodes === undefined) return unpricedOnly(record, `${nodeType} nodes`, "the number of nodes is unknown");
  const price = engine === undefined ? undefined : ctx.prices.elasticache[engine][nodeType];
  if (!price) {
    return unpricedOnly(record, `ElastiCache ${engineInput} ${nodeType}`, "not in the price table");
  }
  return { lines: [line(record, `ElastiCache ${engine} ${nodeType}`, nodes, price)], unpriced: [] };
}

/** `numCacheClusters` nodes, or node groups x (1 primary + replicas). */
function cacheNodeCount(record: ResourceRecord): number | undefined {
  const clusters = num(record.inputs.numCacheClusters);
  if (clusters !== undefined) return clusters;
  const replicas = num(record.inputs.replicasPerNodeGroup);
  if (replicas === undefined) return undefined;
  return (num(record.inputs.numNodeGroups) ?? 1) * (1 + replicas);
}
