/** One measured figure, printed by `npm run bench` as `name=value unit`. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The target, as text (e.g. `<= 3`), noted on stderr beside the figure's line. */
  target?: string;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The figure's one stdout line, exactly `name=value unit` (so scripts can parse it). */
export function figureLine(figure: Figure): string {
  const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(3);
  return `${figure.name}=${value} ${figure.unit}`;
}
