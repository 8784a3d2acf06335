/**
 * formatSyncTimestamp renders a time the way the baton SDK stores every DATETIME column of a
 * c1z: Go's layout "2006-01-02 15:04:05.999999999" — local wall-clock time, no zone, the
 * fraction's trailing zeros trimmed (and the dot too when nothing is left). Readers scan these
 * columns into times and fail on any other shape, which breaks every `baton` command
 * (docs/c1z-format.md, "Timestamps").
 */
export function formatSyncTimestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  // Date has millisecond precision: the nanosecond field ends in six zeros, which Go trims.
  const fraction = pad(date.getMilliseconds(), 3).replace(/0+$/, "");
  return `${day} ${time}${fraction ? `.${fraction}` : ""}`;
}

/**
 * parseSyncTimestamp reads a c1z DATETIME text back into a Date, accepting what the SDK's
 * readers accept: a space or "T" between date and time, an optional fraction of up to nine
 * digits, and an optional "Z" or ±hh:mm offset; without a zone the time is local, as the SDK
 * writes it. Returns undefined for anything else.
 */
export function parseSyncTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const ms = Number(frac.padEnd(3, "0").slice(0, 3));
  if (!zone) return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone === "Z") return new Date(utc);
  const sign = zone.startsWith("-") ? -1 : 1;
  const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
  return new Date(utc - sign * offsetMinutes * 60_000);
}
