/** A size for people, to three significant digits: "320 B", "9.27 KiB", "1.5 MiB". */
export function approxBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [scale, unit] of units) {
    if (bytes >= scale) return `${Number((bytes / scale).toPrecision(3))} ${unit}`;
  }
  return `${Math.round(bytes)} B`;
}
