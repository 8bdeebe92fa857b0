/**
 * The pieces of an estimate: a priced line (quantity x unit price, as hourly,
 * daily and monthly figures), an unpriced item (something that costs money but
 * cannot be priced, with the reason), and what each resource type's pricer
 * returns and reads.
 */
import type { ResourceRecord } from "../resources.js";
import { HOURS_PER_DAY, HOURS_PER_MONTH, type Price, type PriceTable, type PriceUnit } from "./prices.js";

export interface CostLine {
  /** The name of the resource the cost comes from. */
  resource: string;
  type: string;
  /** What is billed, e.g. `EC2 t4g.small (Linux, on-demand)`. */
  item: string;
  quantity: number;
  unit: PriceUnit;
  /** The table's price per `unit`. */
  unitPriceUsd: number;
  hourly: number;
  daily: number;
  monthly: number;
  /** The pricing page the unit price comes from. */
  source: string;
  /** Set when the unit price is an estimate, not a list price (why, and as of when). */
  estimate?: string;
  /**
   * The share of the week it runs on its schedule (a preview awake 55 of 168
   * hours: 0.327); absent: around the clock. Only the scheduled totals use it.
   */
  awakeShare?: number;
}

export interface UnpricedItem {
  resource: string;
  type: string;
  item: string;
  reason: string;
}

/** What pricing one resource gives: its lines, and what of it could not be priced. */
export type Priced = { lines: CostLine[]; unpriced: UnpricedItem[] };

/** What a pricer may read besides its own record. */
export interface PricingContext {
  prices: PriceTable;
  /** Load balancer capacity units assumed per load balancer and hour. */
  lcu: number;
  byId: ReadonlyMap<string, ResourceRecord>;
  records: readonly ResourceRecord[];
}

export type Pricer = (record: ResourceRecord, ctx: PricingContext) => Priced;

/** A priced line: quantity x unit price, turned into an hourly figure (GB-months over 730 hours). */
export function line(record: ResourceRecord, item: string, quantity: number, price: Price): CostLine {
  const perHour = price.unit === "GB-month" ? price.usd / HOURS_PER_MONTH : price.usd;
  const hourly = quantity * perHour;
  return {
    resource: record.name,
    type: record.type,
    item,
    quantity,
    unit: price.unit,
    unitPriceUsd: price.usd,
    hourly,
    daily: hourly * HOURS_PER_DAY,
    monthly: hourly * HOURS_PER_MONTH,
    source: price.source,
    ...(price.estimate === undefined ? {} : { estimate: price.estimate }),
  };
}

export function none(): Priced {
  return { lines: [], unpriced: [] };
}

export function add(into: Priced, from: Priced): void {
  into.lines.push(...from.lines);
  into.unpriced.push(...from.unpriced);
}

export function unpriced(record: ResourceRecord, item: string, reason: string): UnpricedItem {
  return { resource: record.name, type: record.type, item, reason };
}

export function unpricedOnly(record: ResourceRecord, item: string, reason: string): Priced {
  return { lines: [], unpriced: [unpriced(record, item, reason)] };
}
