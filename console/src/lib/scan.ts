// Picking with a scanner that types into a field: the code is a sku or an EAN of a line to pick.

export interface PickLine {
  sku: string;
  ean: string | null;
  quantity: number;
}

/** The sku of the line the scanned code names, or null. */
export function lineFor(code: string, lines: readonly PickLine[]): string | null {
  const scanned = code.trim();
  if (!scanned) return null;
  const found = lines.find((l) => l.sku === scanned || (l.ean !== null && l.ean === scanned));
  return found ? found.sku : null;
}

/** One more unit of the sku picked, never more than the line asks for. */
export function picked(counts: Readonly<Record<string, number>>, sku: string, lines: readonly PickLine[]) {
  const line = lines.find((l) => l.sku === sku);
  if (!line) return counts;
  return { ...counts, [sku]: Math.min(line.quantity, (counts[sku] ?? 0) + 1) };
}

export function allPicked(counts: Readonly<Record<string, number>>, lines: readonly PickLine[]): boolean {
  return lines.every((l) => (counts[l.sku] ?? 0) === l.quantity);
}
